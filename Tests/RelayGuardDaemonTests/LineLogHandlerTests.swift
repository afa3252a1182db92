import Foundation
@testable import RelayGuardDaemon
import Testing

@Suite("LineLogHandler: the stderr line's fixed parts")
struct LineLogHandlerTests {
    @Test("timestamps are UTC ISO 8601 to the second", arguments: [
        (0, "1970-01-01T00:00:00Z"),
        (1_796_000_000, "2026-11-30T00:53:20Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
    ])
    func format(second: Int, expected: String) {
        #expect(LineLogHandler.format(time_t(second)) == expected)
    }

    @Test("the cached timestamp is the current second's")
    func cachedTimestamp() {
        let before = time(nil)
        let first = LineLogHandler.timestamp()
        let second = LineLogHandler.timestamp()
        let after = time(nil)
        #expect([LineLogHandler.format(before), LineLogHandler.format(after)].contains(first))
        #expect([LineLogHandler.format(before), LineLogHandler.format(after)].contains(second))
    }

    @Test("the process tag names this process")
    func processTag() {
        #expect(LineLogHandler.processTag == " relayguard[\(getpid())]: ")
    }

    @Test("CR and LF are found anywhere in a line, and nothing else is taken for them", arguments: [
        ("", false), ("plain text", false), ("a\nb", true), ("\r", true), ("end\r\n", true), ("ü\u{2028}é", false),
        (String(repeating: "x", count: 300) + "\n", true),
    ])
    func lineBreaks(text: String, expected: Bool) {
        #expect(LineLogHandler.containsLineBreak(text) == expected)
    }
}
