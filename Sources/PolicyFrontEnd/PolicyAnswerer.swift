import Logging
import NIOCore
import PolicyDelegation
import RelayGuardCore
import RelayPolicy

/// The policy front end: one policy delegation request in, its `action=` value out, the decision line logged and
/// counted on the way. Only protocol translation, and no I/O: the framing and parsing are `PolicyDelegation`'s, the
/// decisions the core's, and whoever owns the connection (standard input and output under spawn(8), a listener's
/// channel) reads the requests and writes the answers.
///
/// Takes the store's current snapshot for each request, not once per connection: smtpd keeps a policy connection
/// for up to `smtpd_policy_service_max_ttl` (1000 s), across many SMTP sessions, and a reload must reach it at once.
/// One request decides one recipient, so no answer ever mixes two policies.
public struct PolicyAnswerer: Sendable {
    let store: PolicyStore
    let logger: Logger
    let metrics: RelayGuardMetrics
    /// The `session=` of the log lines: one per connection.
    let session: UInt64
    /// A listener's throttle for the bad-request error line, shared by its connections; nil: every one is logged.
    let badRequestLines: LogThrottle?

    public init(store: PolicyStore, logger: Logger, metrics: RelayGuardMetrics = RelayGuardMetrics(), session: UInt64) {
        self.init(store: store, logger: logger, metrics: metrics, session: session, badRequestLines: nil)
    }

    init(store: PolicyStore, logger: Logger, metrics: RelayGuardMetrics, session: UInt64, badRequestLines: LogThrottle?) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.session = session
        self.badRequestLines = badRequestLines
    }

    /// The `action=` value for one framed request (`PolicyAnswer.response` makes it the lines to write), after
    /// logging and counting its decision. A request outside the RCPT stage answers `DUNNO` undecided and unlogged;
    /// one that cannot be read answers `on_error`'s action, with an error line saying why.
    public func answer(_ event: PolicyRequestFramer.Event) -> String {
        var lineHeld = false
        return answer(event, lineHeld: &lineHeld)
    }

    /// `answer(_:)`, setting `lineHeld` (never clearing it) when the request was a bad one whose error line
    /// `badRequestLines` held back: its owner then has it reported (`LogThrottle.reportHeld`,
    /// `PolicyServing.logBadRequestsHeld`) on its event loop.
    func answer(_ event: PolicyRequestFramer.Event, lineHeld: inout Bool) -> String {
        switch event {
        case .request(let request):
            switch request.query() {
            case .success(.recipient(let recipient, let client)):
                let snapshot = store.snapshot
                // The attribute is Postfix's parsed address; there is no raw argument to decide beside it.
                let decision = snapshot.decide(recipient, parsed: recipient, client: client)
                return finish(decision, snapshot: snapshot, request: request, client: client)
            case .success(.otherState):
                return PolicyAnswer.dunno
            case .failure(let error):
                return malformed(error, request: request, lineHeld: &lineHeld)
            }
        case .malformed(let error, let partial):
            return malformed(error, request: partial, lineHeld: &lineHeld)
        }
    }

    /// Logs that the peer closed the connection with a request unfinished (no answer is owed for it).
    public func peerClosedMidRequest() {
        logger.warning("session=\(session) frontend=policy: the peer closed the connection in the middle of a request")
    }

    /// `on_error`'s answer for a request that cannot be read, and a line saying why.
    private func malformed(_ error: PolicyRequestError, request: PolicyRequest, lineHeld: inout Bool) -> String {
        // Throttled where many connections could each send one: junk must not become a flood of lines.
        let count = badRequestLines.map { $0.count() } ?? 1
        if count == nil { lineHeld = true }
        if let count {
            let more = count > 1 ? " (and \(count - 1) more since the last such line)" : ""
            logger.error("\(request.queueID ?? "NOQUEUE"): session=\(session) frontend=policy: bad policy request: \(error); answering on_error\(more)")
        }
        let snapshot = store.snapshot
        return finish(snapshot.undecidable(AddressDecoder.decode(request.recipient)), snapshot: snapshot, request: request, client: nil)
    }

    /// `client`: the request's client as already parsed, if it was (its address is not parsed twice).
    private func finish(_ decision: Decision, snapshot: PolicyStore.Snapshot, request: PolicyRequest, client: Client?) -> String {
        // Inside the message's autoclosure: with `log_level = notice` the client is never formatted.
        logger.info(Logger.Message(stringLiteral: DecisionLogLine.make(
            queueID: request.queueID, session: session, clientText: Self.clientText(client, request),
            authenticatedUser: request[.saslUsername], generation: snapshot.generation, decision: decision,
            rcptAddr: nil, frontend: "policy")))
        metrics.record(decision)
        return PolicyAnswer.action(for: decision)
    }

    private static func clientText(_ client: Client?, _ request: PolicyRequest) -> String {
        if case .known(let address)? = client?.address { address.description } else { request.clientText }
    }
}
