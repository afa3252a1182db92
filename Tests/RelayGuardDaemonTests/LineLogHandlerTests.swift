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

    @Test("a stderr record is timestamp, tag, level and text on one line; CR and LF become spaces", arguments: [
        ("", ""), ("plain text", "plain text"), ("a\nb", "a b"), ("\r", " "), ("end\r\n", "end  "),
        ("ü\u{2028}é", "ü\u{2028}é"), (String(repeating: "x", count: 300) + "\n", String(repeating: "x", count: 300) + " "),
    ])
    func stderrRecord(text: String, expected: String) {
        let record = LineLogHandler.record(text, level: .warning, target: .stderr).string
        let prefix = LineLogHandler.processTag + "warning: "
        #expect(record.hasSuffix(prefix + expected + "\n"))
        let timestamp = String(record.dropLast(prefix.count + expected.count + 1))
        #expect(timestamp.count == 20 && timestamp.hasSuffix("Z"), "\(record)")
    }

    @Test("a syslog record is the text alone, CR and LF as spaces")
    func syslogRecord() {
        #expect(LineLogHandler.record("one\r\ntwo\nthree", level: .info, target: .syslog).string == "one  two three")
    }
}
