import NIOCore
import RelayGuardCore

/// One log line for the first event, then at most one a second with the count since: a flood of connections must
/// not become a flood of log lines. The events held back after the last line are reported once the second is over
/// (`reportHeld`), so that the end of a flood is not left out of the log.
///
/// Shared by the connections of one listener (any event loop): the counts are behind a lock, taken once per event.
public final class LogThrottle: Sendable {
    private struct Window {
        /// Events counted since the last line.
        var held = 0
        var lastLine: NIODeadline?
        /// A report of the events held back is scheduled.
        var reportScheduled = false
    }

    private let window = Locked(Window())
    private let interval: TimeAmount

    public init(interval: TimeAmount = .seconds(1)) {
        self.interval = interval
    }

    /// Counts one event; returns how many to report now (this one and those held back since the last line), or nil
    /// to stay quiet: then call `reportHeld`.
    public func count(now: NIODeadline = .now()) -> Int? {
        window.withLock { window in
            window.held += 1
            if let last = window.lastLine, now - last < interval { return nil }
            defer { window.held = 0; window.lastLine = now }
            return window.held
        }
    }

    /// Counts one event and has `report` called with the count: now, or on `eventLoop` once the interval since the
    /// last line is over (`count`, then `reportHeld`). For a line that is the same whether written now or later.
    public func count(on eventLoop: any EventLoop, _ report: @escaping @Sendable (Int) -> Void) {
        if let count = count() { report(count) } else { reportHeld(on: eventLoop, report) }
    }

    /// Has `report` called on `eventLoop`, once the interval since the last line is over, with the events counted
    /// and not reported by then (none: not called). Call it after `count` returned nil; a report already scheduled
    /// covers this event too.
    public func reportHeld(on eventLoop: any EventLoop, _ report: @escaping @Sendable (Int) -> Void) {
        let due: NIODeadline? = window.withLock { window in
            guard window.held > 0, !window.reportScheduled, let last = window.lastLine else { return nil }
            window.reportScheduled = true
            return last + interval
        }
        guard let due else { return }
        schedule(on: eventLoop, at: due, report)
    }

    /// Reports through `report`, at once, the events counted and not reported (none: not called). For a stop: a
    /// report scheduled on an event loop that is shutting down does not run.
    public func flush(_ report: (Int) -> Void) {
        let held: Int? = window.withLock { window in
            guard window.held > 0 else { return nil }
            defer { window.held = 0; window.lastLine = .now() }
            return window.held
        }
        if let held { report(held) }
    }

    private func schedule(on eventLoop: any EventLoop, at due: NIODeadline, _ report: @escaping @Sendable (Int) -> Void) {
        eventLoop.scheduleTask(deadline: due) { [self] in
            let now = eventLoop.now
            enum Next { case report(Int), wait(NIODeadline), nothing }
            let next: Next = window.withLock { window in
                guard window.held > 0 else {
                    window.reportScheduled = false
                    return .nothing
                }
                // A line was written meanwhile (an event after the interval): what it did not cover waits for its own.
                if let last = window.lastLine, now - last < interval { return .wait(last + interval) }
                window.reportScheduled = false
                defer { window.held = 0; window.lastLine = now }
                return .report(window.held)
            }
            switch next {
            case .report(let count): report(count)
            case .wait(let due): schedule(on: eventLoop, at: due, report)
            case .nothing: break
            }
        }
    }
}
