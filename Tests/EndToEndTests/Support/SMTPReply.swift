/// One SMTP reply: `550 5.7.1 <x@y>: Relay access denied`, possibly multi-line.
struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    let code: Int
    /// The text after the code on each line, joined with newlines; includes the enhanced status code if any.
    let text: String

    /// The RFC 3463 enhanced status code, e.g. `5.7.1`, when the first text word looks like one.
    var enhancedCode: String? {
        let first = text.prefix { $0 != " " && $0 != "\n" }
        let parts = first.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return nil }
        return String(first)
    }

    var isPositive: Bool { (200..<400).contains(code) }
    var isTemporaryFailure: Bool { (400..<500).contains(code) }
    var isPermanentFailure: Bool { (500..<600).contains(code) }

    var description: String { "\(code) \(text)" }
}
