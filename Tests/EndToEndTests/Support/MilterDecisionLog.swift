/// One decision line of the relayguard log, split into its `key=value` fields:
///
/// `… relayguard[42]: info: QID1: session=1 client=203.0.113.9 auth=bob policy=0 verdict=reject reply="550 …" rule=…`
///
/// Quoted values (`reply="…"`, `recipient="<\"a@b\"@c>"`) are unescaped, so `recipient` holds the address exactly as
/// the MTA sent it.
struct MilterDecisionLine: Sendable, CustomStringConvertible {
    /// The queue id, or `NOQUEUE`.
    let queueID: String
    let fields: [String: String]
    /// The log line as written.
    let description: String

    subscript(_ key: String) -> String? { fields[key] }

    var recipient: String? { fields["recipient"] }

    /// Parses a log line; nil for lines that are not recipient decisions (startup, reload, warnings).
    init?(_ line: Substring) {
        guard let marker = line.range(of: "]: info: ") else { return nil }
        let rest = line[marker.upperBound...]
        guard let colon = rest.range(of: ": session=") else { return nil }
        queueID = String(rest[..<colon.lowerBound])
        guard let fields = Self.fields(in: rest[rest.index(colon.lowerBound, offsetBy: 2)...]),
              fields["verdict"] != nil, fields["recipient"] != nil
        else { return nil }
        self.fields = fields
        description = String(line)
    }

    /// `a=b c="d \"e\"" f=-` → `[a: b, c: d "e", f: -]`; nil when the text is not a field list.
    private static func fields(in text: Substring) -> [String: String]? {
        var fields: [String: String] = [:]
        var scalars = Array(text.unicodeScalars)[...]
        while let first = scalars.first {
            if first == " " { scalars = scalars.dropFirst(); continue }
            guard let equals = scalars.firstIndex(of: "=") else { return nil }
            let key = String(String.UnicodeScalarView(scalars[..<equals]))
            scalars = scalars[(equals + 1)...]
            var value = String.UnicodeScalarView()
            if scalars.first == "\"" {
                scalars = scalars.dropFirst()
                var closed = false
                while let scalar = scalars.popFirst() {
                    if scalar == "\"" { closed = true; break }
                    if scalar == "\\", let next = scalars.popFirst() {
                        if next == "x", scalars.count >= 2,
                           let code = UInt32(String(String.UnicodeScalarView(scalars.prefix(2))), radix: 16),
                           let escaped = Unicode.Scalar(code) {
                            value.append(escaped)
                            scalars = scalars.dropFirst(2)
                        } else {
                            value.append(next)
                        }
                        continue
                    }
                    value.append(scalar)
                }
                guard closed else { return nil }
            } else {
                while let scalar = scalars.first, scalar != " " {
                    value.append(scalar)
                    scalars = scalars.dropFirst()
                }
            }
            fields[key] = String(value)
        }
        return fields
    }
}

extension Collection where Element == MilterDecisionLine {
    /// The decisions for `recipient` (raw, with angle brackets), in log order.
    func `for`(_ recipient: String) -> [MilterDecisionLine] {
        filter { $0.recipient == recipient }
    }
}
