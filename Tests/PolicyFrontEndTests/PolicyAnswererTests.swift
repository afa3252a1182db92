import Logging
import PolicyDelegation
import Prometheus
import RelayGuardCore
import RelayGuardTestSupport
import RelayPolicy
import Testing

@testable import PolicyFrontEnd

/// The answers for `input`, framed as a connection would be, and what was logged.
private func answers(_ input: String, store: PolicyStore) -> (output: String, log: [String]) {
    let (logger, lines) = RecordingLogHandler.logger()
    let answerer = PolicyAnswerer(store: store, logger: logger, session: 7)
    var framer = PolicyRequestFramer()
    var output = ""
    framer.feed(Array(input.utf8)) { output += PolicyAnswer.response(answerer.answer($0)) }
    return (output, lines.all)
}

private func answers(_ input: String, policy: Policy = Policy()) -> (output: String, log: [String]) {
    answers(input, store: PolicyStore(policy))
}

private func request(_ recipient: String, state: String = "RCPT", client: String = "203.0.113.9", extra: String = "") -> String {
    "request=smtpd_access_policy\nprotocol_state=\(state)\nclient_address=\(client)\nrecipient=\(recipient)\nqueue_id=\nsasl_username=\n\(extra)\n"
}

@Suite("Policy front end: requests to answers")
struct PolicyAnswererTests {
    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"

    @Test("each request answered in order; the decision line names the front end")
    func severalRequests() {
        let (output, log) = answers(request(Self.imcea) + request("alice@corp.example") + request("x@y", state: "MAIL"))
        #expect(output == """
            action=550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed

            action=DUNNO

            action=DUNNO


            """)
        // MAIL is not decided, so not logged.
        #expect(log.count == 2, "\(log)")
        #expect(log.first?.hasPrefix("info: NOQUEUE: session=7 client=203.0.113.9 auth=- policy=0 verdict=reject ") == true, "\(log)")
        #expect(log.first?.field("rule") == "reroute-disabled")
        #expect(log.first?.field("frontend") == "policy")
        #expect(log.last?.field("verdict") == "continue")
    }

    @Test("report mode answers DUNNO and logs would_deny=yes")
    func reportMode() {
        var policy = Policy()
        policy.mode = .report
        let (output, log) = answers(request(Self.imcea), policy: policy)
        #expect(output == "action=DUNNO\n\n")
        #expect(log.first?.contains(" would_deny=yes ") == true, "\(log)")
    }

    @Test("a bad request answers on_error, logs why, and the next request is served", arguments: [Policy.OnError.tempfail, .accept])
    func badRequest(_ onError: Policy.OnError) {
        var policy = Policy()
        policy.onError = onError
        let (output, log) = answers(request(Self.imcea, extra: "no equals sign\n") + request("alice@corp.example"), policy: policy)
        let first = onError == .tempfail
            ? "action=451 4.3.0 relay policy temporarily unavailable, try again later\n\n" : "action=DUNNO\n\n"
        #expect(output == first + "action=DUNNO\n\n")
        #expect(log.contains { $0.hasPrefix("error: ") && $0.contains("bad policy request: attribute line 7 has no \"=\"") }, "\(log)")
        #expect(log.contains { $0.contains("rule=on-error") }, "\(log)")
    }

    /// smtpd keeps a policy connection across many SMTP sessions: a reload must reach its next request.
    @Test("a reload between two requests of one connection decides the second with the new policy")
    func reloadReachesTheNextRequest() throws {
        var permissive = Policy()
        permissive.reroute = true
        permissive.relayClients = CIDRSet([try CIDRPrefix(parsing: "203.0.113.0/24")])
        let store = PolicyStore(Policy())
        let (logger, lines) = RecordingLogHandler.logger()
        let answerer = PolicyAnswerer(store: store, logger: logger, session: 7)
        var framer = PolicyRequestFramer()
        var actions: [String] = []
        framer.feed(Array(request(Self.imcea).utf8)) { actions.append(answerer.answer($0)) }
        store.replace(with: permissive)
        framer.feed(Array(request(Self.imcea).utf8)) { actions.append(answerer.answer($0)) }
        #expect(actions == ["550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed", "DUNNO"])
        #expect(lines.all.map { $0.field("policy") } == ["0", "1"], "\(lines.all)")
        #expect(lines.all.map { $0.field("rule") } == ["reroute-disabled", "reroute-allowed"], "\(lines.all)")
    }

    @Test("decisions are counted by verdict and rule; undecided states are not")
    func metrics() {
        let registry = PrometheusCollectorRegistry()
        let answerer = PolicyAnswerer(store: PolicyStore(Policy()), logger: RecordingLogHandler.logger().0,
                                      metrics: RelayGuardMetrics(factory: PrometheusMetricsFactory(registry: registry)),
                                      session: 1)
        var framer = PolicyRequestFramer()
        framer.feed(Array((request(Self.imcea) + request("alice@corp.example") + request("x@y", state: "MAIL")).utf8)) {
            _ = answerer.answer($0)
        }
        #expect(registry.value(#"relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}"#) == 1)
        #expect(registry.value(#"relayguard_decisions_total{verdict="continue",rule="pass"}"#) == 1)
        #expect(registry.total("relayguard_decisions_total") == 2)
    }
}
