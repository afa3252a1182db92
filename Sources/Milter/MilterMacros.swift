/// Macro values seen by one callback, fetched with `smfi_getsymval`.
///
/// Holds the names configured in ``MilterConfiguration/macros`` for this stage only: a session keeps what it
/// needs from earlier stages (`{client_addr}` at connect, say) instead of every later callback fetching it
/// again. A name the MTA did not send has no value. Values are copied, so the struct may outlive the callback.
public struct MilterMacros: Sendable {
    /// A handful of pairs (at most the names configured for this stage): a linear scan of short strings costs
    /// less than hashing them, and this is built on every callback.
    private var values: [(name: String, value: String)]

    /// Creates a macro set from name/value pairs (for tests of sessions).
    public init(_ values: [String: String] = [:]) {
        self.values = values.map { ($0.key, $0.value) }
    }

    init(pairs: [(name: String, value: String)]) {
        self.values = pairs
    }

    /// The value of macro `name`, e.g. `macros["{auth_authen}"]`. Single-letter macros answer to both
    /// spellings, `"i"` and `"{i}"`, as in libmilter.
    public subscript(_ name: String) -> String? {
        if let value = value(named: name) { return value }
        return Self.alternateSpelling(of: name).flatMap(value(named:))
    }

    private func value(named name: String) -> String? {
        values.first { $0.name == name }?.value
    }

    /// `"i"` <-> `"{i}"`: sendmail treats the two as the same macro; other names have one spelling.
    static func alternateSpelling(of name: String) -> String? {
        var scalars = name.unicodeScalars.makeIterator()
        guard let first = scalars.next() else { return nil }
        guard let second = scalars.next() else { return "{\(name)}" }
        guard first == "{", let third = scalars.next(), third == "}", scalars.next() == nil else { return nil }
        return String(second)
    }
}
