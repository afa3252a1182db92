import Foundation
import RelayGuardCore
import RelayGuardTestSupport
@testable import RelayGuardDaemon
import Testing

@Suite("LineLogHandler: the stderr line's fixed parts")
struct LineLogHandlerTests {
    /// libc's answer for `second`, the reference the arithmetic is checked against.
    static func strftimeUTC(_ second: Int) -> String {
        var seconds = time_t(second)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            let count = strftime(buffer.baseAddress!, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), as: UTF8.self)
        }
    }

    static func timestamp(_ second: Int) -> String {
        var line = LineBuffer()
        LineLogHandler.appendTimestamp(second, to: &line)
        return line.string
    }

    @Test("timestamps are UTC ISO 8601 to the second", arguments: [
        (0, "1970-01-01T00:00:00Z"),
        (1_796_000_000, "2026-11-30T00:53:20Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (951_868_799, "2000-02-29T23:59:59Z"),
        (4_107_542_400, "2100-03-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
        (253_402_300_800 + 3_723, "10000-01-01T01:02:03Z"),
    ])
    func format(second: Int, expected: String) {
        #expect(Self.timestamp(second) == expected)
    }

    @Test("the arithmetic agrees with gmtime_r and strftime on 100,000 seconds from 1970 to 2200", arguments: [UInt64(1)])
    func agreesWithLibc(seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        var mismatches: [String] = []
        for _ in 0..<100_000 {
            let second = Int.random(in: 0..<7_258_118_400, using: &generator)
            let expected = Self.strftimeUTC(second)
            if Self.timestamp(second) != expected, mismatches.count < 5 { mismatches.append("\(second): \(expected)") }
        }
        #expect(mismatches.isEmpty, "seed \(seed): \(mismatches)")
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
        let record = LineLogHandler.withRecord(text, level: .warning, target: .stderr) { $0.string }
        let prefix = LineLogHandler.processTag + "warning: "
        #expect(record.hasSuffix(prefix + expected + "\n"))
        let timestamp = String(record.dropLast(prefix.count + expected.count + 1))
        #expect(timestamp.count == 20 && timestamp.hasSuffix("Z"), "\(record)")
    }

    @Test("a syslog record is the text alone, CR and LF as spaces")
    func syslogRecord() {
        #expect(LineLogHandler.withRecord("one\r\ntwo\nthree", level: .info, target: .syslog) { $0.string } == "one  two three")
    }
}
