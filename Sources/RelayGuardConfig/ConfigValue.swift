import Foundation
import RelayPolicy

/// One setting's value with where it came from, and the conversions every key shares. Conversions report problems
/// into `diagnostics` with the right `file:line` (an included file's own line for its entries) and return nil.
struct ConfigValue {
    var key: String
    var text: String
    var file: String
    /// 0 for a default value.
    var line: Int
    var baseDirectory: String
    /// Who may own an included file and the directories on its path.
    var trust: FileTrust

    func diagnostic(_ message: String, severity: ConfigDiagnostic.Severity = .error) -> ConfigDiagnostic {
        ConfigDiagnostic(file: file, line: line, message: "\(key): \(message)", severity: severity)
    }

    func choice<T: RawRepresentable & CaseIterable>(_: T.Type, _ diagnostics: inout [ConfigDiagnostic]) -> T? where T.RawValue == String {
        if let value = T(rawValue: text) { return value }
        let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
        diagnostics.append(diagnostic("expected one of \(allowed), got \"\(text)\"" + Self.commentHint(text)))
        return nil
    }

    func bool(_ diagnostics: inout [ConfigDiagnostic]) -> Bool? {
        switch text {
        case "yes": return true
        case "no": return false
        default:
            diagnostics.append(diagnostic("expected yes or no, got \"\(text)\"" + Self.commentHint(text)))
            return nil
        }
    }

    /// A list item and where it was written.
    struct Item {
        var text: Substring
        var file: String
        var line: Int
    }

    /// Entries separated by commas and/or white space; `file:/path` includes one entry a line (`#` comments).
    /// A relative path is taken from the config file's directory.
    func list(_ diagnostics: inout [ConfigDiagnostic]) -> [Item] {
        var items: [Item] = []
        forEachItem(&diagnostics) { items.append($0) }
        return items
    }

    /// `list` without the array: hands each entry to `body` in order, so an included file of a million prefixes
    /// is parsed as it is read instead of first becoming a million items.
    func forEachItem(_ diagnostics: inout [ConfigDiagnostic], _ body: (Item) -> Void) {
        for word in ConfigText.words(Substring(text)) {
            guard word.hasPrefix("file:") else {
                body(Item(text: word, file: file, line: line))
                continue
            }
            let given = String(word.dropFirst(5))
            let path = given.hasPrefix("/") ? given : baseDirectory + "/" + given
            let data: [UInt8]
            do { data = try TrustedFile.read(path, trust: trust) } catch {
                switch error {
                case .unreadable(let reason): diagnostics.append(diagnostic("cannot read included file \"\(path)\": \(reason)"))
                case .untrusted(let problem): diagnostics.append(diagnostic("included file \"\(path)\": \(problem)"))
                }
                continue
            }
            guard let contents = String(validating: data, as: UTF8.self) else {
                diagnostics.append(diagnostic("included file \"\(path)\": not UTF-8 text"))
                continue
            }
            let key = key
            ConfigText.forEachLine(of: contents) { number, problem in
                diagnostics.append(ConfigDiagnostic(file: path, line: number, message: "\(key): \(problem.message)"))
            } _: { number, entry, bytes, _ in
                if bytes.isEmpty || bytes[0] == UInt8(ascii: "#") { return }
                if bytes.contains(where: ConfigText.isListSeparator) {
                    diagnostics.append(ConfigDiagnostic(file: path, line: number, message: "\(key): one entry a line expected, got \"\(entry)\""))
                    return
                }
                body(Item(text: entry, file: path, line: number))
            }
        }
    }

    /// How many diagnostics of one kind a list reports one by one.
    static let listedPerKind = 20

    /// A CIDR list: prefixes, bare addresses and included files. Host bits set is a warning, not an error.
    func cidrSet(_ diagnostics: inout [ConfigDiagnostic]) -> CIDRSet {
        var prefixes: [CIDRPrefix] = []
        // Kept apart and appended last, so every diagnostic lands where it did when the list was read in full first.
        var parseDiagnostics: [ConfigDiagnostic] = []
        // A generated list can hold a million entries: name the first few of each kind, count the rest.
        var hostBits = 0
        var bad = 0
        forEachItem(&diagnostics) { item in
            do throws(CIDRParseError) {
                let prefix = try CIDRPrefix(parsing: item.text)
                if prefix.hadHostBits {
                    hostBits += 1
                    if hostBits <= Self.listedPerKind {
                        parseDiagnostics.append(ConfigDiagnostic(file: item.file, line: item.line,
                            text: .hostBits(key: key, entry: item.text), severity: .warning))
                    }
                }
                if prefix.length == 0, key != "relay_never" {
                    parseDiagnostics.append(ConfigDiagnostic(file: item.file, line: item.line,
                        message: "\(key): \"\(item.text)\" matches every address: an open relay for encapsulated and routed recipients", severity: .warning))
                }
                prefixes.append(prefix)
            } catch {
                bad += 1
                if bad <= Self.listedPerKind {
                    parseDiagnostics.append(ConfigDiagnostic(file: item.file, line: item.line, message: "\(key): \(error.message)"))
                }
            }
        }
        if hostBits > Self.listedPerKind {
            parseDiagnostics.append(diagnostic("\(hostBits - Self.listedPerKind) more entries have host bits set (the first \(Self.listedPerKind) are listed)", severity: .warning))
        }
        if bad > Self.listedPerKind {
            parseDiagnostics.append(diagnostic("\(bad - Self.listedPerKind) more entries are not prefixes (the first \(Self.listedPerKind) are listed)"))
        }
        diagnostics.append(contentsOf: parseDiagnostics)
        return CIDRSet(prefixes)
    }

    func reply(class replyClass: Character, _ diagnostics: inout [ConfigDiagnostic]) -> ReplyTemplate? {
        do { return try ReplyTemplate(parsing: text, class: replyClass) } catch {
            diagnostics.append(diagnostic(error.message))
            return nil
        }
    }

    /// Decimal digits only (no sign, no unit), within `range`.
    func wholeNumber(in range: ClosedRange<Int>, _ diagnostics: inout [ConfigDiagnostic]) -> Int? {
        guard text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Int(text), range.contains(value) else {
            diagnostics.append(diagnostic("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\""))
            return nil
        }
        return value
    }

    static func commentHint(_ text: String) -> String {
        text.contains("#") ? " (a # comment must be on a line of its own)" : ""
    }

}
