import NIOCore

/// One log line for the first event, then at most one a second with the count since: a flood of connections must
/// not become a flood of log lines.
public struct LogThrottle: Sendable {
    private var since = 0
    private var last: NIODeadline?

    public init() {}

    /// Counts one event; returns how many to report now, or nil to stay quiet.
    public mutating func count(now: NIODeadline) -> Int? {
        since += 1
        if let last, now - last < .seconds(1) { return nil }
        defer { since = 0; last = now }
        return since
    }
}
