/// One `key = value` setting as written, after continuation lines were joined.
struct ConfigEntry: Sendable {
    var key: String
    var value: String
    var line: Int
}

/// The main.cf syntax: `key = value`; a line whose first non-blank character is `#` is a comment; a line that starts
/// with white space continues the previous one; blank lines end nothing. As in Postfix, `#` elsewhere is not a
/// comment: `reroute = no # off` is the value `no # off`, which then fails validation and says so.
enum ConfigFile {
    static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> [ConfigEntry] {
        var entries: [ConfigEntry] = []
        var lineNumber = 0
        var text = Substring(text)
        if text.unicodeScalars.first == ConfigText.byteOrderMark {
            diagnostics.append(.init(file: file, line: 1, message: ConfigText.byteOrderMarkMessage))
            text = Substring(text.unicodeScalars.dropFirst())
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isLineSeparator) {
            lineNumber += 1
            if let control = ConfigText.controlCharacter(in: line) {
                diagnostics.append(.init(file: file, line: lineNumber, message: ConfigText.controlMessage(control)))
                continue
            }
            let content = line.drop { $0 == " " || $0 == "\t" }
            if content.isEmpty || content.hasPrefix("#") { continue }
            if content.startIndex != line.startIndex {
                guard !entries.isEmpty else {
                    diagnostics.append(.init(file: file, line: lineNumber, message: "continuation line (starts with white space) with no setting before it"))
                    continue
                }
                // Joined with one space, as Postfix does; a value that starts on the continuation line (`key =` and
                // nothing else first) gets no leading blank (the config fuzzer found show-config printing one).
                let continued = content.trimmingBlanks()
                let value = entries[entries.count - 1].value
                entries[entries.count - 1].value = value.isEmpty ? continued : value + " " + continued
                continue
            }
            guard let equals = content.firstIndex(of: "=") else {
                diagnostics.append(.init(file: file, line: lineNumber, message: "expected \"key = value\", got \"\(content)\""))
                continue
            }
            let key = content[..<equals].trimmingBlanks()
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                diagnostics.append(.init(file: file, line: lineNumber, message: "bad key \"\(key)\" (letters, digits and _ only)"))
                continue
            }
            entries.append(ConfigEntry(key: key, value: content[content.index(after: equals)...].trimmingBlanks(), line: lineNumber))
        }
        return entries
    }
}

extension Character {
    /// `\n` or `\r\n`: Swift reads CRLF as one Character, so splitting on "\n" alone would see a CRLF file as one
    /// line and silently drop every setting after a leading comment.
    var isLineSeparator: Bool { self == "\n" || self == "\r\n" }
}

extension StringProtocol {
    func trimmingBlanks() -> String {
        let start = drop { $0 == " " || $0 == "\t" }
        var end = start[...]
        while let last = end.last, last == " " || last == "\t" { end = end.dropLast() }
        return String(end)
    }
}
