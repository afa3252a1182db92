/// One `key = value` setting as written, after continuation lines were joined.
struct ConfigEntry: Sendable {
    var key: String
    var value: String
    var line: Int
}

/// The main.cf syntax: `key = value`; a line whose first non-blank character is `#` is a comment; a line that starts
/// with white space continues the previous one; blank lines end nothing. As in Postfix, `#` elsewhere is not a
/// comment: `reroute = no # off` is the value `no # off`, which then fails validation and says so. Lines, blanks and
/// refused bytes follow `ConfigText`, as included files do.
enum ConfigFile {
    static func parse(_ text: String, file: String, diagnostics: inout [ConfigDiagnostic]) -> [ConfigEntry] {
        var entries: [ConfigEntry] = []
        ConfigText.forEachLine(of: text) { number, problem in
            diagnostics.append(.init(file: file, line: number, message: problem.message))
        } _: { number, content, bytes, indented in
            if bytes.isEmpty || bytes[0] == UInt8(ascii: "#") { return }
            if indented {
                guard !entries.isEmpty else {
                    diagnostics.append(.init(file: file, line: number, message: "continuation line (starts with white space) with no setting before it"))
                    return
                }
                // Joined with one space, as Postfix does; a value that starts on the continuation line (`key =` and
                // nothing else first) gets no leading blank, which show-config would print.
                let value = entries[entries.count - 1].value
                entries[entries.count - 1].value = value.isEmpty ? String(content) : value + " " + content
                return
            }
            guard let equals = content.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                diagnostics.append(.init(file: file, line: number, message: "expected \"key = value\", got \"\(content)\""))
                return
            }
            let key = String(ConfigText.trimmed(content[..<equals]))
            guard !key.isEmpty, key.utf8.allSatisfy({ Self.isKeyByte($0) }) else {
                diagnostics.append(.init(file: file, line: number, message: "bad key \"\(key)\" (letters, digits and _ only)"))
                return
            }
            let value = ConfigText.trimmed(content[content.index(after: equals)...])
            entries.append(ConfigEntry(key: key, value: String(value), line: number))
        }
        return entries
    }

    /// ASCII letters, digits and `_`.
    static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10 || byte == UInt8(ascii: "_")
    }
}
