/// The per-connection handler: one instance per SMTP connection the MTA reports.
///
/// Created by ``MilterSessionFactory/makeSession()`` at `connect`, or at the first other callback if the
/// MTA skipped connect or no session could be made there (a session must not rely on having seen `connect`).
/// Released after `close`.
///
/// Threading rule (confinement, hence not `Sendable`): libmilter calls one connection's callbacks one
/// at a time, in order, each finished before the next starts, but a worker pool may run them on
/// different threads. So a session may keep plain mutable state without locks, as long as it never
/// hands that state to another thread or task (no `Task {}` capturing `self`, no dispatch queues).
/// State shared between connections (policy snapshots, counters) must be `Sendable` and synchronized.
/// Callbacks run on libmilter's threads, not on any actor: they must be synchronous and quick, and a
/// slow callback holds a worker and the MTA's SMTP session for that long.
public protocol MilterSession: AnyObject {
    /// A new SMTP connection. Observe-only, as HELO and MAIL are: these three stages are negotiated "no reply"
    /// (SMFIP_NR_CONN, _HELO, _MAIL), so the MTA sends them without waiting and puts off its write until RCPT, three
    /// round trips fewer per SMTP session. Having nothing to answer, a session cannot refuse at a stage where the MTA
    /// reads no answer; what it learns here (client, login, queue id) it uses at RCPT.
    func connect(_ info: MilterConnectInfo, macros: MilterMacros)
    /// HELO/EHLO with the name the client gave; may come more than once per connection. Observe-only.
    func helo(_ name: String, macros: MilterMacros)
    /// MAIL FROM: `args[0]` is the sender as sent (with angle brackets), then ESMTP parameters. Observe-only.
    func mail(_ args: [String], macros: MilterMacros)
    /// RCPT TO: `args[0]` is the recipient raw, with angle brackets, quotes and source routes as the
    /// client sent them; then ESMTP parameters. Rejecting refuses this recipient only.
    func recipient(_ args: [String], macros: MilterMacros) -> MilterVerdict
    /// End of message (after the final dot). Rejecting refuses the whole message.
    func endOfMessage(macros: MilterMacros) -> MilterVerdict
    /// The current message ended without `endOfMessage` (RSET, QUIT mid-transaction, or the MTA gave
    /// up on it). Reset per-message state here; the connection may go on with another message.
    func abort()
    /// The connection ended. Called once, last; the session is released right after.
    func close()
}

/// Makes one ``MilterSession`` per SMTP connection.
///
/// Shared by all connections: `makeSession()` is called concurrently from libmilter's threads.
public protocol MilterSessionFactory: Sendable {
    /// Returns a fresh session for a new connection. Must not block.
    func makeSession() -> any MilterSession
}
