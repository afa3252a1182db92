import RelayPolicy

/// One error or warning about a config file, printed as `file:line: message` so editors and admins can jump to it.
public struct ConfigDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var file: String
    /// 1-based; 0 when the problem is not on one line (a default value, a missing file).
    public var line: Int
    public var message: String {
        get { text.message }
        set { text = .literal(newValue) }
    }
    public var severity: Severity
    private var text: Text

    public init(file: String, line: Int, message: String, severity: Severity = .error) {
        self.init(file: file, line: line, text: .literal(message), severity: severity)
    }

    init(file: String, line: Int, text: Text, severity: Severity) {
        self.file = file
        self.line = line
        self.text = text
        self.severity = severity
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return severity == .warning ? "\(place): warning: \(message)" : "\(place): \(message)"
    }

    public static func == (lhs: ConfigDiagnostic, rhs: ConfigDiagnostic) -> Bool {
        lhs.file == rhs.file && lhs.line == rhs.line && lhs.severity == rhs.severity && lhs.message == rhs.message
    }

    /// A message, or what it is made from when spelling it out at load time would cost more than keeping the parts.
    ///
    /// A list of a million random prefixes can carry hundreds of thousands of host-bits warnings; writing each one
    /// out took most of the load time and over 100 MB. Kept as the entry as written (a slice of the included file,
    /// which stays in memory while the warnings do), each is spelled out only when someone reads it.
    enum Text: Sendable {
        case literal(String)
        /// `key: "entry" has host bits set; it matches as network/length`.
        case hostBits(key: String, entry: Substring)

        var message: String {
            switch self {
            case .literal(let message):
                return message
            case .hostBits(let key, let entry):
                // The entry parsed once already; parsing it again gives the same prefix.
                let prefix = (try? CIDRPrefix(parsing: entry)).map { "\($0)" } ?? "?"
                return "\(key): \"\(entry)\" has host bits set; it matches as \(prefix)"
            }
        }
    }
}

/// Every error found in a config file: loading reports them all at once rather than the first only.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(_ diagnostics: [ConfigDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
