import Foundation

/// The must-deny rows of the adversarial corpus (Tests/RelayPolicyTests/Corpus/recipients.tsv), read from the source
/// tree: the rows whose `default` column (RelayGuard's defaults, any client) is not `continue`.
enum RecipientCorpus {
    struct Row: Sendable {
        let id: String
        /// The recipient as the milter would get it in argv[0]; may carry brackets and whitespace.
        let recipient: String
        /// What RelayGuard's defaults answer, e.g. `reject:reroute-disabled`.
        let byDefault: String

        /// What follows `RCPT TO:` on the wire: the row as written when it has its own brackets or leading
        /// whitespace, otherwise the row in brackets. nil when it cannot be one SMTP command line (CR, LF or NUL).
        var rcptArgument: String? {
            guard !recipient.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else { return nil }
            if recipient.hasPrefix("<") || recipient.hasPrefix(" ") || recipient.hasPrefix("\t") { return recipient }
            return "<" + recipient + ">"
        }
    }

    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("RelayPolicyTests/Corpus/recipients.tsv").path

    static func mustDeny() throws -> [Row] {
        guard let data = FileManager.default.contents(atPath: path) else { throw HarnessError("cannot read \(path)") }
        // Bytes, not Characters: a field may start with a combining mark (see AdversarialCorpusTests.load).
        var lines = data.split(separator: UInt8(ascii: "\n")).map(Array.init)
        lines.removeAll { $0.first == UInt8(ascii: "#") }
        let header = fields(lines.removeFirst())
        guard let id = header.firstIndex(of: "id"), let recipient = header.firstIndex(of: "recipient"),
              let byDefault = header.firstIndex(of: "default")
        else { throw HarnessError("unexpected corpus header \(header)") }
        return lines.map(fields).map { Row(id: $0[id], recipient: $0[recipient], byDefault: $0[byDefault]) }
            .filter { !$0.byDefault.hasPrefix("continue") }
    }

    /// Tab-separated fields with `\\`, `\t`, `\n`, `\r` and `\0` unescaped, as the generator writes them.
    private static func fields(_ line: [UInt8]) -> [String] {
        line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { raw in
            var bytes: [UInt8] = []
            var escaped = false
            for byte in raw {
                if escaped {
                    switch byte {
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    case UInt8(ascii: "0"): bytes.append(0x00)
                    default: bytes.append(byte)
                    }
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else {
                    bytes.append(byte)
                }
            }
            if escaped { bytes.append(UInt8(ascii: "\\")) }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
