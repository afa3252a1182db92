import NIOCore
import NIOEmbedded
import PolicyFrontEnd
import Synchronization
import Testing

/// The throttle on an event loop whose clock the test moves: what is reported at once, what later, and when.
@Suite("LogThrottle: one line a second, and the events held back reported when the second is over")
final class LogThrottleTests {
    /// The counts `reportHeld` delivered, in order.
    final class Reports: Sendable {
        private let counts = Mutex<[Int]>([])
        var all: [Int] { counts.withLock { $0 } }
        func add(_ count: Int) { counts.withLock { $0.append(count) } }
    }

    let loop = EmbeddedEventLoop()
    let throttle = LogThrottle()
    let reports = Reports()

    /// Counts one event at `offset` from the loop's start, as the listener does: the line now, or a later report.
    func event(at offset: TimeAmount) -> Int? {
        let count = throttle.count(now: NIODeadline.uptimeNanoseconds(0) + offset)
        if count == nil { throttle.reportHeld(on: loop, reports.add) }
        return count
    }

    func advance(to offset: TimeAmount) {
        loop.advanceTime(to: NIODeadline.uptimeNanoseconds(0) + offset)
    }

    // A report left scheduled must not take the whole test process down (EmbeddedEventLoop's deinit traps on one).
    deinit { try? loop.syncShutdownGracefully() }

    @Test("the first event is a line; the rest of its second are reported once, when it is over")
    func heldReportedAtTheEnd() {
        #expect(event(at: .milliseconds(0)) == 1)
        #expect(event(at: .milliseconds(100)) == nil)
        #expect(event(at: .milliseconds(200)) == nil)
        #expect(event(at: .milliseconds(900)) == nil)
        advance(to: .milliseconds(999))
        #expect(reports.all == [])
        advance(to: .milliseconds(1_000))
        #expect(reports.all == [3])
        advance(to: .seconds(10))
        #expect(reports.all == [3])
    }

    @Test("a report starts a new second: the next event is held for it, and the one after it a line again")
    func reportStartsAWindow() {
        #expect(event(at: .milliseconds(0)) == 1)
        #expect(event(at: .milliseconds(500)) == nil)
        advance(to: .milliseconds(1_000))
        #expect(reports.all == [1])
        #expect(event(at: .milliseconds(1_500)) == nil)
        advance(to: .milliseconds(2_000))
        #expect(reports.all == [1, 1])
        #expect(event(at: .milliseconds(3_500)) == 1)
        advance(to: .seconds(10))
        #expect(reports.all == [1, 1])
    }

    @Test("an event after the second writes the line itself, with those held back; no second line within a second")
    func lineBeforeTheReport() {
        #expect(event(at: .milliseconds(0)) == 1)
        #expect(event(at: .milliseconds(500)) == nil)
        // The loop has not run the report yet when the next event comes, past the second.
        #expect(event(at: .milliseconds(1_200)) == 2)
        #expect(event(at: .milliseconds(1_300)) == nil)
        advance(to: .milliseconds(2_199))
        #expect(reports.all == [])
        advance(to: .milliseconds(2_200))
        #expect(reports.all == [1])
    }

    @Test("flush writes what is held at once; the report scheduled for it then finds nothing")
    func flushAtStop() {
        #expect(event(at: .milliseconds(0)) == 1)
        #expect(event(at: .milliseconds(100)) == nil)
        #expect(event(at: .milliseconds(200)) == nil)
        var flushed: [Int] = []
        throttle.flush { flushed.append($0) }
        #expect(flushed == [2])
        advance(to: .seconds(10))
        #expect(reports.all == [])
        throttle.flush { flushed.append($0) }
        #expect(flushed == [2])
    }

    @Test("a lone event leaves nothing to report")
    func loneEvent() {
        #expect(event(at: .milliseconds(0)) == 1)
        throttle.reportHeld(on: loop, reports.add)
        advance(to: .seconds(10))
        #expect(reports.all == [])
    }
}
