/// The shape of a recipient address, as far as relaying is concerned.
///
/// Raw values are stable identifiers for logs and metrics, so they must not change once shipped.
public enum AddressForm: String, Sendable, CaseIterable {
    /// An ordinary `local@domain` or bare `local` address.
    case plain
    /// The null address: `<>` or an empty argument.
    case null = "null"
    /// An Exchange IMCEA-encapsulated address: `IMCEA<TYPE>-<body>@domain`, possibly nested.
    case imcea
    /// The percent hack: `a%b@local`, relayed by `local` to `a@b`.
    case percentHack = "percent-hack"
    /// A UUCP bang path: `b!a` or `b!a@local`, meaning `a@b`.
    case bangPath = "bang-path"
    /// An RFC 821 source route: `@hop1,@hop2:a@b`.
    case sourceRoute = "source-route"
    /// A quoted local part carrying a routing character: `"a@b"@local`, `"a%b"@local`, `"b!a"@local`.
    case quotedRouting = "quoted-local-part"
    /// More than one unquoted `@`: `a@b@local`.
    case multipleAt = "multiple-at"

    /// Whether the address asks the server to forward mail to another address it names.
    ///
    /// IMCEA is not counted here: it is encapsulation rather than routing syntax, and the policy judges it by its
    /// decoded layers instead.
    public var isRouted: Bool {
        switch self {
        case .percentHack, .bangPath, .sourceRoute, .quotedRouting, .multipleAt:
            return true
        case .plain, .null, .imcea:
            return false
        }
    }
}
