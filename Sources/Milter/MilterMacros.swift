/// Macro values seen by one callback, fetched with `smfi_getsymval`.
///
/// Holds the names configured in ``MilterConfiguration/macros`` for this stage and every earlier stage
/// (libmilter keeps earlier stages' values, so `{client_addr}` from connect is visible at RCPT; it
/// clears values of later stages when an earlier stage repeats, so nothing stale shows). A name
/// the MTA did not send has no value. Values are copied, so the struct may outlive the callback.
public struct MilterMacros: Sendable {
    private var values: [String: String]

    /// Creates a macro set from name/value pairs (for tests of sessions).
    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// The value of macro `name`, e.g. `macros["{auth_authen}"]`. Single-letter macros answer to both
    /// spellings, `"i"` and `"{i}"`, as in libmilter.
    public subscript(_ name: String) -> String? {
        if let value = values[name] { return value }
        return Self.alternateSpelling(of: name).flatMap { values[$0] }
    }

    /// `"i"` <-> `"{i}"`: sendmail treats the two as the same macro; other names have one spelling.
    static func alternateSpelling(of name: String) -> String? {
        let scalars = Array(name.unicodeScalars)
        if scalars.count == 1 { return "{\(name)}" }
        if scalars.count == 3, scalars[0] == "{", scalars[2] == "}" { return String(scalars[1]) }
        return nil
    }
}
