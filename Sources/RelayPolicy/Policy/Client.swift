/// What the policy knows about the SMTP client of a session.
public struct Client: Sendable, Equatable {
    /// Where the client's address came from, and what it is.
    public enum Address: Sendable, Equatable {
        /// A parsed IPv4 or IPv6 address.
        case known(IPAddress)
        /// The MTA said it does not know (Postfix's `unknown`, XCLIENT `[UNAVAILABLE]`): matches no network.
        case unknown
        /// RelayGuard never learned it (no macro, no socket address). A rule that needs it cannot decide.
        case missing
    }

    /// The client's IP address.
    public var address: Address
    /// The SASL login name; empty or nil when the client did not authenticate.
    public var authenticatedUser: String?
    /// The local address the client connected to (Postfix's `{daemon_addr}`), when known.
    public var localAddress: IPAddress?

    public init(address: Address, authenticatedUser: String? = nil, localAddress: IPAddress? = nil) {
        self.address = address
        self.authenticatedUser = authenticatedUser
        self.localAddress = localAddress
    }

    /// True when the client logged in with SASL.
    public var isAuthenticated: Bool {
        guard let user = authenticatedUser else { return false }
        return !user.isEmpty
    }

    /// The client's IP address when it is known.
    public var ip: IPAddress? {
        if case .known(let ip) = address { return ip }
        return nil
    }
}
