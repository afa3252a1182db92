import Testing

/// What a case's RCPT names; each case's `id` goes into the address, so cases sharing a gateway find their own
/// decision line and their own mail.
enum CaseRecipient: Sendable {
    /// Exchange's encapsulation of id@elsewhere.com at the relay domain.
    case encapsulated
    /// The same behind a source route: Postfix strips the route, the milter sees it.
    case encapsulatedBehindSourceRoute
    /// id%elsewhere.com@corp.example.
    case percentHack
    /// elsewhere.com!id@corp.example.
    case bangPath
    /// id@elsewhere.example: plain relaying.
    case outsideDomain

    func address(_ id: String) -> String {
        switch self {
        case .encapsulated: "IMCEASMTP-\(id)+40elsewhere+2Ecom@corp.example"
        case .encapsulatedBehindSourceRoute: "@outside.example:IMCEASMTP-\(id)+40elsewhere+2Ecom@corp.example"
        case .percentHack: "victim-\(id)%elsewhere.com@corp.example"
        case .bangPath: "elsewhere.com!victim-\(id)@corp.example"
        case .outsideDomain: "bob-\(id)@elsewhere.example"
        }
    }

    /// The address Postfix parses from the argument: what the policy service is asked and what the sink receives.
    func parsed(_ id: String) -> String {
        switch self {
        case .encapsulatedBehindSourceRoute: CaseRecipient.encapsulated.address(id)
        default: address(id)
        }
    }
}

/// One SMTP transaction through a gateway, the same for every front end: a recipient under test and an ordinary one
/// at the relay domain, from a client presented with XCLIENT (address, SASL login), to one of the gateway's listeners.
struct FrontEndCase: Sendable, CustomTestStringConvertible {
    /// Letters and digits, unique among the cases: it goes into the addresses and the sender.
    let id: String
    let name: String
    let listener: FrontEndGateway.Listener
    let client: XClient
    /// The address the client connects to: 127.0.0.1, or 127.0.0.2 on a listener that has it.
    var server = "127.0.0.1"
    let recipient: CaseRecipient
    let code: Int
    let enhancedCode: String
    /// Text the reply must contain (RelayGuard's reply, or Postfix's own).
    let text: String
    let delivered: Bool
    /// The fields of RelayGuard's decision line for the recipient (a nil value: the field is absent).
    let decision: [String: String?]
    /// Postfix refuses the recipient itself before the milter is asked; the policy service, asked first, answers
    /// DUNNO (`rule=pass`) and leaves the refusal to Postfix.
    var postfixRefuses = false
    /// The one case where the front ends answer differently, both closed: for an unknown client Postfix sends
    /// libmilter a connect address it cannot parse, and libmilter drops the connection before any callback, so the
    /// milter decides nothing and `milter_default_action` (tempfail) answers every recipient of the session, 451
    /// 4.7.1. The policy service gets `client_address=unknown` and decides per recipient.
    var unknownClient = false

    var testDescription: String { name }
    var address: String { recipient.address(id) }
    var plain: String { "alice-\(id)@corp.example" }
    func sender(_ frontEnd: FrontEnd) -> String { "\(id)-\(frontEnd.rawValue)@outside.example" }
}

/// The gateway's listeners: one RelayGuard configuration each.
extension FrontEndGateway.Listener {
    /// The embedded defaults: reroute = no.
    static let defaults = Self(name: "defaults", settings: [])
    static let restrictedSettings = [
        "reroute = yes", "relay_clients = 192.0.2.0/24, 2001:db8::/48", "relay_never = 192.0.2.66",
        "relay_authenticated = yes", "relay_local_addresses = 127.0.0.2", "local_domains = corp.example",
    ]
    static let restricted = Self(
        name: "restricted", settings: restrictedSettings, addresses: ["127.0.0.1", "127.0.0.2"])
    /// Postfix takes XCLIENT LOGIN= as the SASL login whether smtpd_sasl_auth_enable is on or off (the other
    /// listeners leave it at Postfix's default, off).
    static let restrictedSASL = Self(
        name: "restricted_sasl", settings: restrictedSettings, overrides: ["smtpd_sasl_auth_enable=yes"])
    static let loginIgnored = Self(
        name: "login_ignored", settings: ["reroute = yes", "relay_clients = 192.0.2.0/24"])
    static let report = Self(name: "report", settings: ["mode = report"])
    static let tempfail = Self(
        name: "tempfail", settings: ["reroute = yes", "relay_clients = 192.0.2.0/24", "reroute_action = tempfail"])
    static let gateway = [defaults, restricted, restrictedSASL, loginIgnored, report, tempfail]
}

@Suite("Postfix with RelayGuard through each front end: the same SMTP answers",
       .frontEndGateways(FrontEndGateway.Listener.gateway))
struct FrontEndGatewayTests {
    static let outside = XClient("203.0.113.9")
    /// In the gateway's mynetworks (127.0.0.0/8): Postfix itself would relay anything for it.
    static let trusted = XClient("127.0.0.5")
    static let rerouteText = "encapsulated or routed address rejected: rerouting is not allowed"
    static let disabled: [String: String?] = ["verdict": "reject", "rule": "reroute-disabled", "would_deny": nil]
    static let allowed: [String: String?] = ["verdict": "continue", "rule": "reroute-allowed", "would_deny": nil]
    static let denied: [String: String?] = ["verdict": "reject", "rule": "reroute-denied", "would_deny": nil]

    static let cases: [FrontEndCase] = [
        // The hole RelayGuard closes: at the relay domain, so reject_unauth_destination lets it through.
        FrontEndCase(
            id: "imcea", name: "defaults: an encapsulated recipient, 550", listener: .defaults, client: outside,
            recipient: .encapsulated, code: 550, enhancedCode: "5.7.1", text: rerouteText, delivered: false,
            decision: disabled.merging(["client": "203.0.113.9", "auth": "-", "form": "imcea"]) { $1 }),
        FrontEndCase(
            id: "srcroute", name: "defaults: an encapsulated recipient behind a source route, 550", listener: .defaults,
            client: outside, recipient: .encapsulatedBehindSourceRoute, code: 550, enhancedCode: "5.7.1",
            text: rerouteText, delivered: false, decision: disabled),
        // A trusted client gets past Postfix's own routing check (permit_mynetworks first); RelayGuard still refuses.
        FrontEndCase(
            id: "percent", name: "defaults: a percent hack from a mynetworks client, 550", listener: .defaults,
            client: trusted, recipient: .percentHack, code: 550, enhancedCode: "5.7.1", text: rerouteText,
            delivered: false, decision: disabled.merging(["client": "127.0.0.5"]) { $1 }),
        FrontEndCase(
            id: "bang", name: "defaults: a bang path from a mynetworks client, 550", listener: .defaults,
            client: trusted, recipient: .bangPath, code: 550, enhancedCode: "5.7.1", text: rerouteText,
            delivered: false, decision: disabled),
        FrontEndCase(
            id: "relaydenied", name: "defaults: plain relaying from outside, Postfix's own 554 Relay access denied",
            listener: .defaults, client: outside, recipient: .outsideDomain, code: 554, enhancedCode: "5.7.1",
            text: "Relay access denied", delivered: false, decision: ["verdict": "continue", "rule": "pass"],
            postfixRefuses: true),
        FrontEndCase(
            id: "relaydenied6", name: "defaults: plain relaying from an IPv6 client, Postfix's own 554",
            listener: .defaults, client: XClient("2001:db8::5"), recipient: .outsideDomain, code: 554,
            enhancedCode: "5.7.1", text: "Relay access denied", delivered: false,
            decision: ["verdict": "continue", "rule": "pass", "client": "2001:db8::5"], postfixRefuses: true),
        FrontEndCase(
            id: "plainrelay", name: "local_domains: plain relaying from a mynetworks client, RelayGuard's 554",
            listener: .restricted, client: trusted, recipient: .outsideDomain, code: 554, enhancedCode: "5.7.1",
            text: "Relay access denied", delivered: false,
            decision: ["verdict": "reject", "rule": "relay-denied", "client": "127.0.0.5"]),
        FrontEndCase(
            id: "relayclient", name: "relay_clients: 192.0.2.10 may reroute, delivered", listener: .restricted,
            client: XClient("192.0.2.10"), recipient: .encapsulated, code: 250, enhancedCode: "2.1.5", text: "",
            delivered: true, decision: allowed.merging(["client": "192.0.2.10", "auth": "-"]) { $1 }),
        FrontEndCase(
            id: "never", name: "relay_never: 192.0.2.66, inside relay_clients, may not", listener: .restricted,
            client: XClient("192.0.2.66"), recipient: .encapsulated, code: 550, enhancedCode: "5.7.1",
            text: rerouteText, delivered: false,
            decision: ["verdict": "reject", "rule": "reroute-never", "client": "192.0.2.66"]),
        FrontEndCase(
            id: "login", name: "relay_authenticated = yes, XCLIENT LOGIN=bob: allowed", listener: .restricted,
            client: XClient("203.0.113.9", login: "bob"), recipient: .encapsulated, code: 250,
            enhancedCode: "2.1.5", text: "", delivered: true,
            decision: allowed.merging(["client": "203.0.113.9", "auth": "bob"]) { $1 }),
        FrontEndCase(
            id: "nologin", name: "relay_authenticated = yes, no login: denied", listener: .restricted,
            client: outside, recipient: .encapsulated, code: 550, enhancedCode: "5.7.1", text: rerouteText,
            delivered: false, decision: denied.merging(["client": "203.0.113.9", "auth": "-"]) { $1 }),
        FrontEndCase(
            id: "sasl", name: "relay_authenticated = yes, XCLIENT LOGIN=bob, smtpd_sasl_auth_enable = yes: allowed",
            listener: .restrictedSASL, client: XClient("203.0.113.9", login: "bob"), recipient: .encapsulated,
            code: 250, enhancedCode: "2.1.5", text: "", delivered: true,
            decision: allowed.merging(["auth": "bob"]) { $1 }),
        FrontEndCase(
            id: "ignoredlogin", name: "relay_authenticated = no, XCLIENT LOGIN=bob: seen, grants nothing",
            listener: .loginIgnored, client: XClient("203.0.113.9", login: "bob"), recipient: .encapsulated,
            code: 550, enhancedCode: "5.7.1", text: rerouteText, delivered: false,
            decision: denied.merging(["auth": "bob"]) { $1 }),
        FrontEndCase(
            id: "sixin", name: "an IPv6 client inside relay_clients: allowed", listener: .restricted,
            client: XClient("2001:db8::5"), recipient: .encapsulated, code: 250, enhancedCode: "2.1.5", text: "",
            delivered: true, decision: allowed.merging(["client": "2001:db8::5"]) { $1 }),
        FrontEndCase(
            id: "sixout", name: "an IPv6 client outside relay_clients: denied", listener: .restricted,
            client: XClient("2001:db8:1::5"), recipient: .encapsulated, code: 550, enhancedCode: "5.7.1",
            text: rerouteText, delivered: false, decision: denied.merging(["client": "2001:db8:1::5"]) { $1 }),
        FrontEndCase(
            id: "local2", name: "connected to 127.0.0.2, in relay_local_addresses: allowed", listener: .restricted,
            client: outside, server: "127.0.0.2", recipient: .encapsulated, code: 250, enhancedCode: "2.1.5",
            text: "", delivered: true, decision: allowed.merging(["client": "203.0.113.9"]) { $1 }),
        FrontEndCase(
            id: "report", name: "mode = report: accepted and delivered, logged would_deny=yes", listener: .report,
            client: outside, recipient: .encapsulated, code: 250, enhancedCode: "2.1.5", text: "", delivered: true,
            decision: ["verdict": "continue", "rule": "reroute-disabled", "would_deny": "yes"]),
        FrontEndCase(
            id: "tempfail", name: "reroute_action = tempfail: 450 4.7.1", listener: .tempfail, client: outside,
            recipient: .encapsulated, code: 450, enhancedCode: "4.7.1", text: rerouteText, delivered: false,
            decision: ["verdict": "tempfail", "rule": "reroute-denied", "would_deny": nil]),
        // XCLIENT ADDR=[UNAVAILABLE], relay_never set: the policy service answers on_error (tempfail), the
        // milter is never asked (see `unknownClient`).
        FrontEndCase(
            id: "unknown", name: "an unknown client with relay_never set: 451, on_error or milter_default_action",
            listener: .restricted, client: XClient.unavailable, recipient: .encapsulated, code: 451,
            enhancedCode: "4.3.0", text: "relay policy temporarily unavailable", delivered: false,
            decision: ["verdict": "tempfail", "rule": "on-error", "client": "unknown"], unknownClient: true),
    ]

    @Test("each gateway's configuration passes postfix check without warnings", arguments: FrontEnd.tested)
    func postfixCheck(_ frontEnd: FrontEnd) async throws {
        let check = try await FrontEndGateways.current(frontEnd).postfix.check()
        #expect(check.exitCode == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.summary)")
    }

    @Test(arguments: FrontEnd.tested, cases)
    func transaction(_ frontEnd: FrontEnd, _ relayCase: FrontEndCase) async throws {
        let gateway = try FrontEndGateways.current(frontEnd)
        let postfix = gateway.postfix
        let service = gateway.service(relayCase.listener)
        let sender = relayCase.sender(frontEnd)
        let result = try await Swaks.send(
            to: postfix, port: gateway.port(relayCase.listener), from: sender,
            recipients: [relayCase.address, relayCase.plain], client: relayCase.client, server: relayCase.server)

        let sessionDropped = relayCase.unknownClient && frontEnd == .milter
        let reply = try #require(result.reply(for: relayCase.address), "\(result.output.stdout)")
        #expect(reply.code == relayCase.code, "\(reply)\n\(service.log().suffix(2000))")
        #expect(reply.enhancedCode == (sessionDropped ? "4.7.1" : relayCase.enhancedCode), "\(reply)")
        #expect(sessionDropped || relayCase.text.isEmpty || reply.text.contains(relayCase.text), "\(reply)")
        // The ordinary recipient of the same transaction is not affected.
        #expect(result.reply(for: relayCase.plain)?.code == (sessionDropped ? 451 : 250), "\(result.output.stdout)")
        #expect(result.endOfDataReply?.code == (sessionDropped ? nil : 250), "\(result.output.stdout)")

        // RelayGuard's decision line for the recipient: the policy service is asked first, the milter only about
        // recipients Postfix accepted. When every check passes, the line names Postfix's lowercased address.
        let parsed = relayCase.recipient.parsed(relayCase.id).lowercased()
        let asked = !(relayCase.postfixRefuses && frontEnd == .milter) && !sessionDropped
        var lines: [MilterDecisionLine] = []
        if sessionDropped {
            // swaks has its replies: anything RelayGuard decided for this session is logged by now.
            lines = service.decisions().filter { $0.recipient?.lowercased().contains(relayCase.id) == true }
        } else {
            try await waitUntil("the decision lines for \(relayCase.id)") {
                let decisions = service.decisions()
                lines = decisions.filter { $0.recipient?.lowercased().contains(parsed) == true }
                // The plain recipient's line follows the other's, when that one is asked.
                return decisions.contains { $0.recipient?.lowercased() == "<\(relayCase.plain.lowercased())>" }
            }
        }
        #expect(lines.count == (asked ? 1 : 0), "\(lines)\n\(service.log().suffix(2000))")
        if asked, let line = lines.first {
            for (key, value) in relayCase.decision {
                #expect(line[key] == value, "\(key) in \(line)")
            }
            #expect(line["frontend"] == (frontEnd.isPolicy ? "policy" : nil), "\(line)")
        }
        let plainLines = service.decisions().filter { $0.recipient?.lowercased() == "<\(relayCase.plain.lowercased())>" }
        #expect(plainLines.map { $0["rule"] } == (sessionDropped ? [] : ["pass"]), "\(plainLines)")
        if sessionDropped {
            // No recipient was accepted and no DATA sent: nothing was queued that could still arrive.
            #expect(try postfix.sink.messages(from: sender).isEmpty, "\(postfix.maillog().suffix(3000))")
            return
        }

        // One message carries both recipients: once it is in the sink, everything this case sent has arrived (the
        // other cases' traffic keeps the shared queue from ever being seen empty).
        try await waitUntil("\(sender)'s message in the sink\n\(postfix.maillog().suffix(3000))") {
            try !postfix.sink.messages(from: sender).isEmpty
        }
        let arrived = try postfix.sink.messages(from: sender).flatMap(\.recipients)
        #expect(arrived == (relayCase.delivered ? [relayCase.recipient.parsed(relayCase.id)] : []) + [relayCase.plain],
                "\(postfix.maillog().suffix(3000))")
    }
}
