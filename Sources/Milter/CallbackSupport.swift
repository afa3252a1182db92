import CMilter

/// Reads the macros a stage's callback may see. Names are those configured (see
/// ``MilterConfiguration/macros``); the values are copied out of libmilter's buffers, which are
/// freed when the next command for the stage arrives.
func readMacros(_ ctx: OpaquePointer?, stage: MilterStage, box: SessionBox) -> MilterMacros {
    let names = box.context.fetchLists[stage.dialogueOrder]
    var values: [(name: String, value: String)] = []
    values.reserveCapacity(names.count)
    for macro in names {
        // smfi_getsymval takes char* but only reads it.
        let value = macro.cName.withUnsafeBufferPointer { smfi_getsymval(ctx, UnsafeMutablePointer(mutating: $0.baseAddress)) }
        if let value { values.append((macro.name, String(cString: value))) }
    }
    return MilterMacros(pairs: values)
}

/// Converts a NULL-terminated C argv (xxfi_envfrom/xxfi_envrcpt) to Swift strings.
/// Invalid UTF-8 is repaired with U+FFFD, so the policy sees every byte position.
func stringArguments(_ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard var cursor = argv else { return [] }
    var arguments: [String] = []
    while let argument = cursor.pointee {
        arguments.append(String(cString: argument))
        cursor += 1
    }
    return arguments
}

/// Turns a verdict into libmilter's status, setting the custom reply first when it is valid for the
/// verdict. An invalid reply is dropped (plain REJECT/TEMPFAIL, the MTA's default text): libmilter
/// would drop a mismatched class silently and the MTA fails a malformed one.
func status(for verdict: MilterVerdict, _ ctx: OpaquePointer?) -> sfsistat {
    switch verdict {
    case .continue:
        return SMFIS_CONTINUE
    case .accept:
        return SMFIS_ACCEPT
    case .discard:
        return SMFIS_DISCARD
    case .reject(let reply):
        setReply(reply?.encoded(for: .permanent), ctx)
        return SMFIS_REJECT
    case .tempfail(let reply):
        setReply(reply?.encoded(for: .transient), ctx)
        return SMFIS_TEMPFAIL
    }
}

/// Calls `smfi_setreply`; it copies the strings, so Swift's temporary C strings suffice.
/// Its failure (only on allocation failure after our validation) leaves the plain status in effect.
private func setReply(_ reply: EncodedReply?, _ ctx: OpaquePointer?) {
    guard let reply else { return }
    withOptionalCString(reply.xcode) { xcode in
        withOptionalCString(reply.text) { text in
            reply.code.withCString { code in
                _ = smfi_setreply(ctx, mutable(code), mutable(xcode), mutable(text))
            }
        }
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// libmilter's prototypes predate `const`; it does not write through these pointers.
private func mutable(_ pointer: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    pointer.map { UnsafeMutablePointer(mutating: $0) }
}
