import RelayPolicy

/// The attributes of one policy request, as smtpd sent them (`name=value`, names case-sensitive).
public struct PolicyRequest: Sendable, Equatable {
    public private(set) var attributes: [String: String] = [:]

    public init(_ attributes: [String: String] = [:]) {
        self.attributes = attributes
    }

    public subscript(name: String) -> String? {
        get { attributes[name] }
        set { attributes[name] = newValue }
    }

    public var count: Int { attributes.count }

    /// What the request asks, or why it cannot be answered from the policy.
    public func query() -> Result<PolicyQuery, PolicyRequestError> {
        let request = attributes["request"]
        guard request == "smtpd_access_policy" else { return .failure(.unsupportedRequest(request)) }
        guard let state = attributes["protocol_state"] else { return .failure(.missingProtocolState) }
        // `RCPT` as smtpd writes it; an upper-case compare would also read a state smtpd never sends.
        guard state == "RCPT" else { return .success(.otherState(state)) }
        guard let recipient = attributes["recipient"], !recipient.isEmpty else { return .failure(.missingRecipient) }
        return .success(.recipient(recipient, client: client))
    }

    /// `client_address` (`unknown` when Postfix has none; an address that does not parse counts as unknown too, as
    /// the milter reads `{client_addr}`), `sasl_username` (empty: not logged in), `server_address` (the address the
    /// client connected to, for `relay_local_addresses`).
    public var client: Client {
        let address: Client.Address = switch attributes["client_address"] {
        case nil: .missing
        case let text?: IPAddress(text).map { .known($0) } ?? .unknown
        }
        return Client(address: address, authenticatedUser: attributes["sasl_username"],
                      localAddress: attributes["server_address"].flatMap { IPAddress($0) })
    }

    /// `queue_id`, nil when empty (before MAIL FROM, or with `smtpd_delay_open_until_valid_rcpt`).
    public var queueID: String? { nonEmpty("queue_id") }

    /// The recipient the reply names when the request is malformed: what was read of it, or nothing.
    public var recipient: String { attributes["recipient"] ?? "" }

    /// `client_address` as logged: canonical when it parses, as sent otherwise, `-` when absent.
    public var clientText: String {
        guard let text = attributes["client_address"] else { return "-" }
        return IPAddress(text)?.description ?? text
    }

    private func nonEmpty(_ name: String) -> String? {
        guard let value = attributes[name], !value.isEmpty else { return nil }
        return value
    }
}

/// What a well-formed request asks.
public enum PolicyQuery: Sendable, Equatable {
    /// A RCPT TO: decide `recipient` (Postfix's parsed address) for `client`.
    case recipient(String, client: Client)
    /// Any other stage (CONNECT, EHLO, MAIL, DATA, ...): RelayGuard decides recipients only, and answers DUNNO.
    case otherState(String)
}
