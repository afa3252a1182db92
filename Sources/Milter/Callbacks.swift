import CMilter

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libmilter's C callbacks. They are private file-scope functions with the exact C signatures: a
// closure written in main.swift or in @main code would be main-actor isolated, and libmilter calls
// these from its own worker threads, where such a closure traps. They capture nothing; the
// per-connection state comes from smfi_getpriv (SessionStorage.swift), the server's from
// ServerContext.swift.
//
// Without a session (no server context: cannot happen while smfi_main runs) an answered command (RCPT, end of
// message) is answered TEMPFAIL rather than CONTINUE, so that a broken milter never waves mail through.

/// The filter description for `smfi_register`, which copies both the struct and the name.
func makeFilterDescription(name: UnsafeMutablePointer<CChar>) -> smfiDesc {
    var description = smfiDesc()
    description.xxfi_name = name
    // Anything else and libmilter never calls negotiate or data (it treats the filter as v2-v4).
    description.xxfi_version = SMFI_VERSION
    // No actions here: negotiate's *pf0 replaces these flags and requests SMFIF_SETSYMLIST itself.
    description.xxfi_flags = UInt(SMFIF_NONE)
    description.xxfi_connect = connectCallback
    description.xxfi_helo = heloCallback
    description.xxfi_envfrom = mailCallback
    description.xxfi_envrcpt = recipientCallback
    // header, eoh, body and unknown stay NULL and are also refused in negotiate (Negotiation.swift).
    description.xxfi_eom = endOfMessageCallback
    description.xxfi_abort = abortCallback
    description.xxfi_close = closeCallback
    description.xxfi_data = dataCallback
    description.xxfi_negotiate = negotiateCallback
    return description
}

private func negotiateCallback(
    _ ctx: OpaquePointer?,
    _ f0: UInt, _ f1: UInt, _ f2: UInt, _ f3: UInt,
    _ pf0: UnsafeMutablePointer<UInt>?, _ pf1: UnsafeMutablePointer<UInt>?,
    _ pf2: UnsafeMutablePointer<UInt>?, _ pf3: UnsafeMutablePointer<UInt>?
) -> sfsistat {
    guard let context = currentServerContext() else { return SMFIS_REJECT }
    let options = negotiatedOptions(offeredActions: f0, offeredSteps: f1, wantsMacros: !context.symbolLists.isEmpty)
    if options.requestsMacros {
        for list in context.symbolLists {
            // Fails only on allocation failure; the stage then gets the MTA's default macros.
            _ = list.names.withCString { smfi_setsymlist(ctx, list.stage, UnsafeMutablePointer(mutating: $0)) }
        }
    }
    // With SMFIS_CONTINUE libmilter takes all four outputs as the complete request.
    pf0?.pointee = options.actions
    pf1?.pointee = options.steps
    pf2?.pointee = 0
    pf3?.pointee = 0
    return SMFIS_CONTINUE
}

// Connect, HELO and MAIL are negotiated no-reply (`noReplySteps`): the MTA reads no answer, so these always return
// SMFIS_NOREPLY. Without a session (none could be made) the stage goes unobserved; the first answered stage makes
// one, which has seen no connect and answers as such a session does.

private func connectCallback(
    _ ctx: OpaquePointer?, _ hostname: UnsafeMutablePointer<CChar>?, _ hostaddr: UnsafeMutablePointer<sockaddr>?
) -> sfsistat {
    guard let box = sessionBox(for: ctx) else { return SMFIS_NOREPLY }
    let info = MilterConnectInfo(hostname: hostname, hostaddr: hostaddr)
    box.session.connect(info, macros: readMacros(ctx, stage: .connect, box: box))
    return SMFIS_NOREPLY
}

private func heloCallback(_ ctx: OpaquePointer?, _ name: UnsafeMutablePointer<CChar>?) -> sfsistat {
    guard let box = sessionBox(for: ctx) else { return SMFIS_NOREPLY }
    box.session.helo(name.map { String(cString: $0) } ?? "", macros: readMacros(ctx, stage: .helo, box: box))
    return SMFIS_NOREPLY
}

private func mailCallback(
    _ ctx: OpaquePointer?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> sfsistat {
    guard let box = sessionBox(for: ctx) else { return SMFIS_NOREPLY }
    box.session.mail(stringArguments(argv), macros: readMacros(ctx, stage: .mail, box: box))
    return SMFIS_NOREPLY
}

private func recipientCallback(
    _ ctx: OpaquePointer?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> sfsistat {
    guard let box = sessionBox(for: ctx) else { return SMFIS_TEMPFAIL }
    let verdict = box.session.recipient(stringArguments(argv), macros: readMacros(ctx, stage: .rcpt, box: box))
    return status(for: verdict, ctx)
}

/// Registered only so that the MTA waits for a reply at DATA (see `skippedSteps`); sessions do not see it.
private func dataCallback(_ ctx: OpaquePointer?) -> sfsistat {
    SMFIS_CONTINUE
}

private func endOfMessageCallback(_ ctx: OpaquePointer?) -> sfsistat {
    guard let box = sessionBox(for: ctx) else { return SMFIS_TEMPFAIL }
    return status(for: box.session.endOfMessage(macros: readMacros(ctx, stage: .endOfMessage, box: box)), ctx)
}

/// libmilter ignores the return value of abort.
private func abortCallback(_ ctx: OpaquePointer?) -> sfsistat {
    existingSessionBox(ctx)?.session.abort()
    return SMFIS_CONTINUE
}

/// May come without connect (e.g. the MTA dropped the milter connection early): then there is no
/// session to close and nothing to release. libmilter ignores the return value.
private func closeCallback(_ ctx: OpaquePointer?) -> sfsistat {
    // The +1 taken from the private-data slot is released when `box` goes out of scope, after close().
    if let box = takeSessionBox(ctx) {
        box.session.close()
    }
    return SMFIS_CONTINUE
}
