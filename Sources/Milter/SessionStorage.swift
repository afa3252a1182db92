import CMilter

/// What one connection keeps in libmilter's private-data slot.
///
/// Holds the server context too, so that callbacks after the first need no global lookup.
/// Not `Sendable`: it moves between libmilter's threads only through the context's private-data
/// pointer, and libmilter runs one callback of a connection at a time (see ``MilterSession``).
final class SessionBox {
    let session: any MilterSession
    let context: ServerContext

    init(session: any MilterSession, context: ServerContext) {
        self.session = session
        self.context = context
    }
}

/// The connection's box, creating it (and its session) if this is the connection's first callback.
///
/// Ownership: `passRetained` gives the box a +1 that the SMFICTX's private-data slot holds from here
/// until `takeSessionBox(_:)` at close. Returns `nil` only if no server context exists or libmilter
/// refuses the pointer; the caller then fails the command rather than guess.
func sessionBox(for ctx: OpaquePointer?) -> SessionBox? {
    guard let ctx else { return nil }
    if let existing = smfi_getpriv(ctx) {
        // +0: the slot keeps its +1; the box outlives this callback because only close releases it.
        return Unmanaged<SessionBox>.fromOpaque(existing).takeUnretainedValue()
    }
    guard let context = currentServerContext() else { return nil }
    let box = SessionBox(session: context.factory.makeSession(), context: context)
    let retained = Unmanaged.passRetained(box)
    guard smfi_setpriv(ctx, retained.toOpaque()) == MI_SUCCESS else {
        retained.release()  // the slot did not take the +1
        return nil
    }
    return box
}

/// Takes the box out of the private-data slot, handing its +1 to the caller (ARC releases it when the
/// caller is done), and clears the slot so libmilter never sees a dangling pointer. `nil` when the
/// connection never got a session (close without connect).
func takeSessionBox(_ ctx: OpaquePointer?) -> SessionBox? {
    guard let ctx, let pointer = smfi_getpriv(ctx) else { return nil }
    _ = smfi_setpriv(ctx, nil)
    return Unmanaged<SessionBox>.fromOpaque(pointer).takeRetainedValue()
}

/// The connection's box if it has one, without creating it (for abort, which has nothing to reset
/// on a connection that never got a session).
func existingSessionBox(_ ctx: OpaquePointer?) -> SessionBox? {
    guard let ctx, let pointer = smfi_getpriv(ctx) else { return nil }
    return Unmanaged<SessionBox>.fromOpaque(pointer).takeUnretainedValue()
}
