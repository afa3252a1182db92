#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RelayPolicy

/// The attributes of one policy request that RelayGuard reads, as smtpd sent them (`name=value`, names
/// case-sensitive).
///
/// smtpd sends about 30 attributes (Postfix 3.7); the framer checks every line (`=`, UTF-8, length) and counts it,
/// but keeps only those a decision or its log line reads (`Name`): the others cannot change an answer, and a
/// dictionary of strings for all of them cost more than the decision itself.
public struct PolicyRequest: Sendable, Equatable {
    /// The attributes kept.
    public enum Name: String, Sendable, CaseIterable {
        case request
        case protocolState = "protocol_state"
        case recipient
        case clientAddress = "client_address"
        case serverAddress = "server_address"
        case saslUsername = "sasl_username"
        case queueID = "queue_id"

        /// The name `bytes` spell, if it is one of these (compared byte for byte: names are case-sensitive ASCII).
        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            // Most of smtpd's names are not kept: the length and the first byte rule them out before any compare.
            let candidate: Name, spelling: StaticString
            switch (bytes.count, bytes.first) {
            case (7, UInt8(ascii: "r")): (candidate, spelling) = (.request, "request")
            case (9, UInt8(ascii: "r")): (candidate, spelling) = (.recipient, "recipient")
            case (14, UInt8(ascii: "p")): (candidate, spelling) = (.protocolState, "protocol_state")
            case (14, UInt8(ascii: "c")): (candidate, spelling) = (.clientAddress, "client_address")
            case (14, UInt8(ascii: "s")): (candidate, spelling) = (.serverAddress, "server_address")
            case (13, UInt8(ascii: "s")): (candidate, spelling) = (.saslUsername, "sasl_username")
            case (8, UInt8(ascii: "q")): (candidate, spelling) = (.queueID, "queue_id")
            default: return nil
            }
            // memcmp: the generic `elementsEqual` walks both buffers an element at a time, through iterators.
            guard spelling.withUTF8Buffer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) else { return nil }
            self = candidate
        }
    }

    private var request: String?
    private var protocolState: String?
    private var recipientValue: String?
    private var clientAddress: String?
    private var serverAddress: String?
    private var saslUsername: String?
    private var queueIDValue: String?

    /// The attribute lines read, kept or not (the framer's `maxAttributes` counts them).
    public internal(set) var count = 0

    public init() {}

    /// A request of `attributes` (tests, tools): those named in `Name` are kept, all are counted.
    public init(_ attributes: [String: String]) {
        for (name, value) in attributes {
            if let name = Name(rawValue: name) { self[name] = value }
        }
        count = attributes.count
    }

    public subscript(name: Name) -> String? {
        get {
            switch name {
            case .request: request
            case .protocolState: protocolState
            case .recipient: recipientValue
            case .clientAddress: clientAddress
            case .serverAddress: serverAddress
            case .saslUsername: saslUsername
            case .queueID: queueIDValue
            }
        }
        set {
            switch name {
            case .request: request = newValue
            case .protocolState: protocolState = newValue
            case .recipient: recipientValue = newValue
            case .clientAddress: clientAddress = newValue
            case .serverAddress: serverAddress = newValue
            case .saslUsername: saslUsername = newValue
            case .queueID: queueIDValue = newValue
            }
        }
    }

    /// The value of attribute `name` if it is one of those kept.
    public subscript(name: String) -> String? { Name(rawValue: name).flatMap { self[$0] } }

    /// The attributes kept, by name.
    public var attributes: [String: String] {
        var kept: [String: String] = [:]
        for name in Name.allCases { kept[name.rawValue] = self[name] }
        return kept
    }

    /// What the request asks, or why it cannot be answered from the policy.
    public func query() -> Result<PolicyQuery, PolicyRequestError> {
        guard request == "smtpd_access_policy" else { return .failure(.unsupportedRequest(request)) }
        guard let state = protocolState else { return .failure(.missingProtocolState) }
        // `RCPT` as smtpd writes it; an upper-case compare would also read a state smtpd never sends.
        guard state == "RCPT" else { return .success(.otherState(state)) }
        guard let recipient = recipientValue, !recipient.isEmpty else { return .failure(.missingRecipient) }
        return .success(.recipient(recipient, client: client))
    }

    /// `client_address` (`unknown` when Postfix has none; an address that does not parse counts as unknown too, as
    /// the milter reads `{client_addr}`), `sasl_username` (empty: not logged in), `server_address` (the address the
    /// client connected to, for `relay_local_addresses`).
    public var client: Client {
        let address: Client.Address = switch clientAddress {
        case nil: .missing
        case let text?: IPAddress(text).map { .known($0) } ?? .unknown
        }
        return Client(address: address, authenticatedUser: saslUsername, localAddress: serverAddress.flatMap { IPAddress($0) })
    }

    /// `queue_id`, nil when empty (before MAIL FROM, or with `smtpd_delay_open_until_valid_rcpt`).
    public var queueID: String? { queueIDValue.flatMap { $0.isEmpty ? nil : $0 } }

    /// The recipient the reply names when the request is malformed: what was read of it, or nothing.
    public var recipient: String { recipientValue ?? "" }

    /// `client_address` as logged: canonical when it parses, as sent otherwise, `-` when absent.
    public var clientText: String {
        guard let text = clientAddress else { return "-" }
        return IPAddress(text)?.description ?? text
    }
}

/// What a well-formed request asks.
public enum PolicyQuery: Sendable, Equatable {
    /// A RCPT TO: decide `recipient` (Postfix's parsed address) for `client`.
    case recipient(String, client: Client)
    /// Any other stage (CONNECT, EHLO, MAIL, DATA, ...): RelayGuard decides recipients only, and answers DUNNO.
    case otherState(String)
}
