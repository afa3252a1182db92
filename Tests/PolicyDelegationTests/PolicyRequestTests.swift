import PolicyDelegation
import RelayPolicy
import Testing

struct QueryCase: Sendable, CustomTestStringConvertible {
    let name: String
    let attributes: [String: String]
    let expected: Result<PolicyQuery, PolicyRequestError>
    var testDescription: String { name }
}

@Suite("Policy request attributes to the policy's client and recipient")
struct PolicyRequestTests {
    static func rcpt(_ extra: [String: String]) -> [String: String] {
        ["request": "smtpd_access_policy", "protocol_state": "RCPT", "recipient": "alice@corp.example"]
            .merging(extra) { $1 }
    }

    static let outside = IPAddress("203.0.113.9")!

    static let cases: [QueryCase] = [
        QueryCase(name: "IPv4 client", attributes: rcpt(["client_address": "203.0.113.9"]),
                  expected: .success(.recipient("alice@corp.example", client: Client(address: .known(outside))))),
        QueryCase(name: "IPv6 client as Postfix writes it", attributes: rcpt(["client_address": "2001:db8::5"]),
                  expected: .success(.recipient("alice@corp.example", client: Client(address: .known(IPAddress("2001:db8::5")!))))),
        QueryCase(name: "unknown client", attributes: rcpt(["client_address": "unknown"]),
                  expected: .success(.recipient("alice@corp.example", client: Client(address: .unknown)))),
        QueryCase(name: "no client_address: missing, not unknown", attributes: rcpt([:]),
                  expected: .success(.recipient("alice@corp.example", client: Client(address: .missing)))),
        QueryCase(name: "SASL login and server address",
                  attributes: rcpt(["client_address": "203.0.113.9", "sasl_username": "bob", "server_address": "127.0.0.2"]),
                  expected: .success(.recipient("alice@corp.example", client: Client(
                      address: .known(outside), authenticatedUser: "bob", localAddress: IPAddress("127.0.0.2"))))),
        QueryCase(name: "empty sasl_username: not logged in", attributes: rcpt(["client_address": "203.0.113.9", "sasl_username": ""]),
                  expected: .success(.recipient("alice@corp.example", client: Client(address: .known(outside), authenticatedUser: "")))),
        QueryCase(name: "MAIL state", attributes: rcpt(["protocol_state": "MAIL"]), expected: .success(.otherState("MAIL"))),
        QueryCase(name: "DATA state", attributes: rcpt(["protocol_state": "DATA"]), expected: .success(.otherState("DATA"))),
        QueryCase(name: "lower-case rcpt is not RCPT", attributes: rcpt(["protocol_state": "rcpt"]), expected: .success(.otherState("rcpt"))),
        QueryCase(name: "no request attribute", attributes: rcpt(["request": ""]), expected: .failure(.unsupportedRequest(""))),
        QueryCase(name: "another request type", attributes: rcpt(["request": "junk"]), expected: .failure(.unsupportedRequest("junk"))),
        QueryCase(name: "no protocol_state", attributes: ["request": "smtpd_access_policy", "recipient": "a@b"],
                  expected: .failure(.missingProtocolState)),
        QueryCase(name: "RCPT without a recipient", attributes: rcpt(["recipient": ""]), expected: .failure(.missingRecipient)),
    ]

    @Test(arguments: cases)
    func query(_ queryCase: QueryCase) {
        #expect(PolicyRequest(queryCase.attributes).query() == queryCase.expected)
    }

    @Test("queue_id and the logged client")
    func logFields() {
        #expect(PolicyRequest(["queue_id": ""]).queueID == nil)
        #expect(PolicyRequest(["queue_id": "4XYZ1234"]).queueID == "4XYZ1234")
        #expect(PolicyRequest(["client_address": "::ffff:203.0.113.9"]).clientText == "203.0.113.9")
        #expect(PolicyRequest(["client_address": "unknown"]).clientText == "unknown")
        #expect(PolicyRequest([:]).clientText == "-")
    }
}

struct AnswerCase: Sendable, CustomTestStringConvertible {
    let name: String
    let mode: Policy.Mode
    let recipient: String
    let client: Client
    let action: String
    var testDescription: String { name }
}

@Suite("Policy answers from the policy's decisions")
struct PolicyAnswerTests {
    static let outside = Client(address: .known(IPAddress("203.0.113.9")!))
    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"

    static let cases: [AnswerCase] = [
        AnswerCase(name: "plain recipient: DUNNO, never OK", mode: .enforce, recipient: "alice@corp.example", client: outside,
                   action: "DUNNO"),
        AnswerCase(name: "IMCEA recipient: the configured reply", mode: .enforce, recipient: imcea, client: outside,
                   action: "550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed"),
        AnswerCase(name: "report mode: DUNNO", mode: .report, recipient: imcea, client: outside, action: "DUNNO"),
        AnswerCase(name: "percent hack", mode: .enforce, recipient: "victim%elsewhere.com@corp.example", client: outside,
                   action: "550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed"),
    ]

    @Test(arguments: cases)
    func answer(_ answerCase: AnswerCase) {
        var policy = Policy()
        policy.mode = answerCase.mode
        let decision = policy.decide(answerCase.recipient, parsed: answerCase.recipient, client: answerCase.client)
        #expect(PolicyAnswer.action(for: decision) == answerCase.action)
        #expect(decision.wouldDeny == (answerCase.mode == .report))
    }

    @Test("tempfail answers the tempfail reply; on_error answers its own")
    func tempfail() {
        var policy = Policy()
        policy.rerouteAction = .tempfail
        let decision = policy.decide(Self.imcea, parsed: Self.imcea, client: Self.outside)
        #expect(PolicyAnswer.action(for: decision).hasPrefix("450 4.7.1 encapsulated or routed address rejected"))
        #expect(PolicyAnswer.action(for: policy.undecidable(AddressDecoder.decode("a@b"))).hasPrefix("451 4.3.0 relay policy temporarily unavailable"))
        policy.onError = .accept
        #expect(PolicyAnswer.action(for: policy.undecidable(AddressDecoder.decode("a@b"))) == "DUNNO")
    }

    @Test("an answer is one line and the empty line")
    func response() {
        #expect(PolicyAnswer.response("DUNNO") == "action=DUNNO\n\n")
        let decision = Decision(verdict: .reject, reply: Reply(code: "550", xcode: "5.7.1", text: "a\nb\rc"), rule: .relayDenied,
                                address: AddressDecoder.decode("a@b"), wouldDeny: false)
        #expect(PolicyAnswer.action(for: decision) == "550 5.7.1 a b c")
    }

    @Test("the reply's leading <recipient>: is left out as ReplyTemplate wrote it: control bytes removed, UTF-8 kept")
    func leadingRecipient() {
        for (recipient, text) in [("a\u{01}b\u{7F}@c", "<ab@c>: no"), ("jörg@ex.example", "<jörg@ex.example>: no")] {
            let decision = Decision(verdict: .reject, reply: Reply(code: "550", xcode: "5.7.1", text: text), rule: .relayDenied,
                                    address: AddressDecoder.decode(recipient), wouldDeny: false)
            #expect(PolicyAnswer.action(for: decision) == "550 5.7.1 no", "\(recipient)")
        }
        let noXcode = Decision(verdict: .reject, reply: Reply(code: "550", xcode: nil, text: "<a@b>: no\tway"), rule: .relayDenied,
                               address: AddressDecoder.decode("a@b"), wouldDeny: false)
        #expect(PolicyAnswer.action(for: noXcode) == "550 no way")
    }

    @Test("a reply that does not start with the recipient is kept whole", arguments: ["<b@c>: no", "no <a@b>: here", "<a@b>: "])
    func customReply(_ text: String) {
        let decision = Decision(verdict: .reject, reply: Reply(code: "550", xcode: "5.7.1", text: text), rule: .relayDenied,
                                address: AddressDecoder.decode("a@b"), wouldDeny: false)
        #expect(PolicyAnswer.action(for: decision) == "550 5.7.1 " + text)
    }
}
