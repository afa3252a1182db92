import Logging
import Milter
import RelayGuardCore
import RelayPolicy
import Synchronization

/// Makes one `RelayGuardSession` per SMTP connection. Shared by libmilter's threads.
public final class RelayGuardSessionFactory: MilterSessionFactory {
    let store: PolicyStore
    let logger: Logger
    let metrics: RelayGuardMetrics
    private let nextID = Atomic<UInt64>(1)

    public init(store: PolicyStore, logger: Logger, metrics: RelayGuardMetrics = RelayGuardMetrics()) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
    }

    public func makeSession() -> any MilterSession {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        metrics.sessions.increment()
        return RelayGuardSession(id: id, snapshot: store.snapshot, logger: logger, metrics: metrics)
    }

    /// The macros the policy needs, requested from Postfix during negotiation.
    public static let macros: [MilterStage: [String]] = [
        .connect: ["{client_addr}", "{daemon_addr}"],
        .mail: ["{auth_authen}", "i"],
        // {rcpt_addr}: the address Postfix parsed and will deliver to, decided as well as the raw argument.
        .rcpt: ["i", "{rcpt_addr}"],
    ]
}

/// One SMTP connection. libmilter serializes a connection's callbacks (on any of its threads), so the mutable
/// state here is confined to one callback at a time.
final class RelayGuardSession: MilterSession {
    let id: UInt64
    /// Taken at connect: a reload during the session does not change its answers.
    let snapshot: PolicyStore.Snapshot
    let logger: Logger
    let metrics: RelayGuardMetrics
    /// `.missing` until connect tells us; a session that starts without connect can only answer `on_error`.
    var client = Client(address: .missing)
    var clientText = "-"
    var queueID: String?

    init(id: UInt64, snapshot: PolicyStore.Snapshot, logger: Logger, metrics: RelayGuardMetrics) {
        self.id = id
        self.snapshot = snapshot
        self.logger = logger
        self.metrics = metrics
    }

    func connect(_ info: MilterConnectInfo, macros: MilterMacros) {
        // Postfix's {client_addr} is the XCLIENT-aware address; the socket address is the fallback.
        if let text = macros["{client_addr}"] {
            client.address = IPAddress(text).map { .known($0) } ?? .unknown
            // Logged canonical (a mapped ::ffff:a.b.c.d as a.b.c.d) when it parses, as sent otherwise.
            clientText = client.ip?.description ?? text
        } else {
            switch info.address {
            case .ipv4(let bytes) where bytes.count == 4:
                client.address = .known(IPAddress(ipv4Bytes: (bytes[0], bytes[1], bytes[2], bytes[3])))
            case .ipv6(let bytes) where bytes.count == 16:
                client.address = .known(IPAddress(ipv6Bytes: bytes))
            default:
                client.address = .missing
            }
            clientText = client.ip?.description ?? "-"
        }
        client.localAddress = macros["{daemon_addr}"].flatMap { IPAddress($0) }
    }

    func helo(_ name: String, macros: MilterMacros) {}

    func mail(_ args: [String], macros: MilterMacros) {
        // A new transaction: SASL state can change between transactions only by AUTH, which Postfix reports here.
        client.authenticatedUser = macros["{auth_authen}"]
        queueID = macros["i"]
    }

    func recipient(_ args: [String], macros: MilterMacros) -> MilterVerdict {
        if let id = macros["i"], !id.isEmpty { queueID = id }
        // Through the snapshot's methods: a Policy copy retains every set and string it holds, per RCPT.
        let decision: Decision
        let rcptAddr = macros["{rcpt_addr}"]
        if let recipient = args.first {
            decision = snapshot.decide(recipient, parsed: rcptAddr, client: client)
        } else {
            decision = snapshot.undecidable(AddressDecoder.decode(""))
        }
        log(decision, rcptAddr: rcptAddr)
        metrics.record(decision)
        switch decision.verdict {
        case .continue: return .continue
        case .reject: return .reject(decision.reply.map(Self.milterReply))
        case .tempfail: return .tempfail(decision.reply.map(Self.milterReply))
        }
    }

    func endOfMessage(macros: MilterMacros) -> MilterVerdict { .continue }

    func abort() {}

    func close() {}

    /// The decision line (`DecisionLogLine`), built only when the level lets it through.
    private func log(_ decision: Decision, rcptAddr: String?) {
        logger.info(Logger.Message(stringLiteral: DecisionLogLine.make(
            queueID: queueID, session: id, clientText: clientText, authenticatedUser: client.authenticatedUser,
            generation: snapshot.generation, decision: decision, rcptAddr: rcptAddr)))
    }

    static func milterReply(_ reply: Reply) -> MilterReply {
        MilterReply(code: reply.code, xcode: reply.xcode, text: reply.text)
    }
}
