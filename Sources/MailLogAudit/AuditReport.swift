/// What `relayguard audit` found in the mail logs.
public struct AuditReport: Sendable, Encodable {
    /// A recipient in an encapsulated or routed form that Postfix accepted and handed to a delivery agent.
    public struct Delivery: Sendable, Encodable, Equatable {
        public var time: String
        public var queueID: String
        /// The SMTP client that submitted the message (its `client=` line), nil when the log does not have it.
        public var client: String?
        public var saslUsername: String?
        public var recipient: String
        public var originalRecipient: String?
        /// `imcea:SMTP`, `percent-hack`, `bang-path`...
        public var family: String
        /// The address the encapsulation or route points at.
        public var decodesTo: String?
        public var relay: String
        public var status: String

        enum CodingKeys: String, CodingKey {
            case time, queueID = "queue_id", client, saslUsername = "sasl_username", recipient
            case originalRecipient = "orig_to", family, decodesTo = "decodes_to", relay, status
        }
    }

    /// The refusals one client received.
    public struct ClientRefusals: Sendable, Encodable, Equatable {
        public var client: String
        /// Refused by RelayGuard: `milter-reject` at RCPT, or a policy-service reply in RelayGuard's words.
        public var relayGuard = 0
        /// Refused by Postfix's own `Relay access denied`.
        public var relayDenied = 0
        public var families: [String: Int] = [:]

        public var total: Int { relayGuard + relayDenied }

        enum CodingKeys: String, CodingKey {
            case client, relayGuard = "relayguard", relayDenied = "relay_access_denied", families
        }
    }

    public var files: [String] = []
    public var lines = 0
    /// Deliveries kept in the report (the first ``Auditor/maximumDeliveries``); `deliveryCount` counts them all.
    public var deliveries: [Delivery] = []
    public var deliveryCount = 0
    /// Per client, most refused first.
    public var refusals: [ClientRefusals] = []
    public var refusalsByFamily: [String: Int] = [:]
    /// Refusals of the clients not itemised in `refusals` (past ``Auditor/reportedClients``, or past
    /// ``Auditor/maximumClients`` while reading).
    public var otherClientsRefusals = 0
    /// How many clients those are (at least; clients past ``Auditor/maximumClients`` are not told apart).
    public var otherClients = 0

    enum CodingKeys: String, CodingKey {
        case files, lines, deliveries, deliveryCount = "delivery_count", refusals
        case refusalsByFamily = "refusals_by_family", otherClientsRefusals = "other_clients_refusals"
        case otherClients = "other_clients"
    }
}
