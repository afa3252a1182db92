/// One entry of a Postfix milter list (`smtpd_milters`, `non_smtpd_milters`): `inet:host:port`, `unix:path`, or the
/// Postfix 3.0 grouped form `{ inet:host:port, default_action=accept, ... }`.
public struct MilterEntry: Sendable, Equatable {
    /// The address as written (`inet:127.0.0.1:8894`, `unix:/relayguard/relayguard.sock`).
    public var address: String
    /// Per-milter settings from the grouped form (`default_action`, `command_timeout`...).
    public var settings: [String: String]

    public init(address: String, settings: [String: String] = [:]) {
        self.address = address
        self.settings = settings
    }

    /// Splits a milter list as Postfix does: entries separated by commas or blanks, `{ }` grouping an address with
    /// its settings.
    public static func list(_ text: String) -> [MilterEntry] {
        var entries: [MilterEntry] = []
        var rest = Substring(text)
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\n" }
            guard let first = rest.first else { break }
            if first == "{" {
                let close = rest.firstIndex(of: "}") ?? rest.endIndex
                let inner = rest[rest.index(after: rest.startIndex)..<close]
                let items = inner.split(whereSeparator: { $0 == "," }).map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
                if let address = items.first {
                    var settings: [String: String] = [:]
                    for item in items.dropFirst() {
                        let pair = item.split(separator: "=", maxSplits: 1)
                        guard pair.count == 2 else { continue }
                        settings[pair[0].trimmingBlanks()] = pair[1].trimmingBlanks()
                    }
                    entries.append(MilterEntry(address: address, settings: settings))
                }
                rest = close < rest.endIndex ? rest[rest.index(after: close)...] : ""
            } else {
                let end = rest.firstIndex { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\n" } ?? rest.endIndex
                entries.append(MilterEntry(address: String(rest[..<end])))
                rest = rest[end...]
            }
        }
        return entries
    }
}
