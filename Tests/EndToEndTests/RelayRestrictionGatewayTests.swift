import Testing

/// One SMTP session through a private Postfix with RelayGuard attached, and what must come of it: the reply to an
/// encapsulated recipient, what reached the sink, and RelayGuard's decision line for it.
///
/// The client reaches the milter the way it reaches a production gateway: Postfix's XCLIENT sets the client address
/// and SASL login (`{client_addr}`, `{auth_authen}`), the address smtpd listens on is `{daemon_addr}`. Nothing is
/// handed to the milter by the test.
struct RestrictionCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// relayguard.conf lines.
    let settings: [String]
    let client: XClient
    /// The smtpd address the client connects to: 127.0.0.1, or 127.0.0.2 (a second listener).
    var server = "127.0.0.1"
    /// main.cf parameters besides the harness gateway's.
    var postfixParameters: [String: String] = [:]
    let code: Int
    let enhancedCode: String
    /// Whether the encapsulated recipient reaches the sink.
    let delivered: Bool
    /// The decision line's fields for the encapsulated recipient (a nil value: the field is absent); nil when
    /// RelayGuard must log no decision at all.
    let decision: [String: String?]?
    /// The reply to the ordinary recipient sent in the same transaction.
    var plainCode = 250

    var testDescription: String { name }
}

@Suite("Postfix with RelayGuard: relay restrictions, report mode and on_error through real SMTP sessions")
struct RelayRestrictionGatewayTests {
    static let imcea = Recipients.imcea
    static let alice = Recipients.alice
    /// reroute = yes with a relay client network that none of the clients below is in, unless a case says so.
    static let reroute = ["reroute = yes", "relay_clients = 192.0.2.0/24"]
    static let allowed: [String: String?] = ["verdict": "continue", "rule": "reroute-allowed", "would_deny": nil]
    static let denied: [String: String?] = ["verdict": "reject", "rule": "reroute-denied", "would_deny": nil]

    static let cases: [RestrictionCase] = [
        // XCLIENT LOGIN= is Postfix's SASL login, passed to the milter as {auth_authen} at MAIL.
        RestrictionCase(
            name: "relay_authenticated = yes, XCLIENT LOGIN=bob: allowed",
            settings: reroute + ["relay_authenticated = yes"], client: XClient("203.0.113.9", login: "bob"),
            code: 250, enhancedCode: "2.1.5", delivered: true,
            decision: allowed.merging(["client": "203.0.113.9", "auth": "bob"]) { $1 }),
        RestrictionCase(
            name: "relay_authenticated = yes, no login: denied",
            settings: reroute + ["relay_authenticated = yes"], client: XClient("203.0.113.9"),
            code: 550, enhancedCode: "5.7.1", delivered: false,
            decision: denied.merging(["client": "203.0.113.9", "auth": "-"]) { $1 }),
        // Postfix takes XCLIENT LOGIN= as the SASL login whether smtpd_sasl_auth_enable is on or off (the harness
        // leaves it at Postfix's default, off).
        RestrictionCase(
            name: "relay_authenticated = yes, XCLIENT LOGIN=bob, smtpd_sasl_auth_enable = yes: allowed",
            settings: reroute + ["relay_authenticated = yes"], client: XClient("203.0.113.9", login: "bob"),
            postfixParameters: ["smtpd_sasl_auth_enable": "yes"],
            code: 250, enhancedCode: "2.1.5", delivered: true,
            decision: allowed.merging(["client": "203.0.113.9", "auth": "bob"]) { $1 }),
        RestrictionCase(
            name: "relay_authenticated = no, XCLIENT LOGIN=bob: the login is seen and grants nothing",
            settings: reroute, client: XClient("203.0.113.9", login: "bob"),
            code: 550, enhancedCode: "5.7.1", delivered: false,
            decision: denied.merging(["client": "203.0.113.9", "auth": "bob"]) { $1 }),
        RestrictionCase(
            name: "IPv6 client inside relay_clients: allowed",
            settings: ["reroute = yes", "relay_clients = 2001:db8::/48"], client: XClient("2001:db8::5"),
            code: 250, enhancedCode: "2.1.5", delivered: true,
            decision: allowed.merging(["client": "2001:db8::5", "auth": "-"]) { $1 }),
        RestrictionCase(
            name: "IPv6 client outside relay_clients: denied",
            settings: ["reroute = yes", "relay_clients = 2001:db8::/48"], client: XClient("2001:db8:1::5"),
            code: 550, enhancedCode: "5.7.1", delivered: false,
            decision: denied.merging(["client": "2001:db8:1::5"]) { $1 }),
        RestrictionCase(
            name: "connected to 127.0.0.2, in relay_local_addresses: allowed",
            settings: reroute + ["relay_local_addresses = 127.0.0.2"], client: XClient("203.0.113.9"),
            server: "127.0.0.2", code: 250, enhancedCode: "2.1.5", delivered: true,
            decision: allowed.merging(["client": "203.0.113.9"]) { $1 }),
        RestrictionCase(
            name: "connected to 127.0.0.1, not in relay_local_addresses: denied",
            settings: reroute + ["relay_local_addresses = 127.0.0.2"], client: XClient("203.0.113.9"),
            code: 550, enhancedCode: "5.7.1", delivered: false,
            decision: denied.merging(["client": "203.0.113.9"]) { $1 }),
        RestrictionCase(
            name: "mode = report: accepted and delivered, logged would_deny=yes",
            settings: ["mode = report"], client: XClient("203.0.113.9"),
            code: 250, enhancedCode: "2.1.5", delivered: true,
            decision: ["verdict": "continue", "rule": "reroute-disabled", "would_deny": "yes"]),
        RestrictionCase(
            name: "reroute_action = tempfail: 450 4.7.1",
            settings: reroute + ["reroute_action = tempfail"], client: XClient("203.0.113.9"),
            code: 450, enhancedCode: "4.7.1", delivered: false,
            decision: ["verdict": "tempfail", "rule": "reroute-denied", "would_deny": nil]),
        // XCLIENT ADDR=[UNAVAILABLE]: Postfix sends {client_addr}=unknown and a connect packet of family '4' whose
        // address is the text "unknown"; libmilter's inet_aton fails on it and libmilter closes the connection
        // before any callback (seen with strace). RelayGuard never decides, on_error does not apply, and Postfix
        // answers every recipient with milter_default_action (the harness's tempfail): still closed.
        RestrictionCase(
            name: "unknown client, on_error = accept: libmilter drops the session, milter_default_action answers 451",
            settings: reroute + ["on_error = accept"], client: XClient.unavailable,
            code: 451, enhancedCode: "4.7.1", delivered: false, decision: nil, plainCode: 451),
    ]

    @Test(arguments: cases)
    func session(_ restriction: RestrictionCase) async throws {
        try await withRelayGuard(restriction.settings) { milter in
            let options = PostfixOptions(
                milter: milter.postfixMilter(),
                // The client's own address (127.0.0.1) must be allowed to send XCLIENT on either listener.
                parameters: restriction.postfixParameters.merging(["smtpd_authorized_xclient_hosts": "127.0.0.0/8"]) { $1 },
                extraListenAddresses: restriction.server == "127.0.0.1" ? [] : [restriction.server])
            try await withPostfix(options) { postfix in
                let result = try await Swaks.send(
                    to: postfix, recipients: [Self.imcea, Self.alice], client: restriction.client,
                    server: restriction.server)

                let reply = try #require(result.reply(for: Self.imcea), "\(result.output.stdout)")
                #expect(reply.code == restriction.code, "\(reply)\n\(milter.log())\n\(postfix.maillog())")
                #expect(reply.enhancedCode == restriction.enhancedCode, "\(reply)")
                // The ordinary recipient of the same transaction is not affected.
                #expect(result.reply(for: Self.alice)?.code == restriction.plainCode, "\(result.output.stdout)")
                #expect(result.endOfDataReply?.code == (restriction.plainCode == 250 ? 250 : nil), "\(result.output.stdout)")

                if let expected = restriction.decision {
                    let decisions = try await milter.waitForDecisions(2)
                    // When every check passes, the line names Postfix's {rcpt_addr}, which Postfix lowercased.
                    let lines = decisions.filter { $0.recipient?.lowercased() == "<\(Self.imcea)>".lowercased() }
                    #expect(lines.count == 1, "\(decisions)")
                    let line = try #require(lines.first, "\(milter.log())")
                    for (key, value) in expected {
                        #expect(line[key] == value, "\(key) in \(line)")
                    }
                    #expect(decisions.for("<\(Self.alice)>").map { $0["rule"] } == ["pass"], "\(decisions)")
                } else {
                    // swaks has its replies, so anything RelayGuard decided is logged by now.
                    #expect(milter.decisions().isEmpty, "\(milter.log())")
                }

                try await postfix.waitForQueueToDrain()
                let arrived = try postfix.sink.recipients()
                let expected = (restriction.delivered ? [Self.imcea] : []) + (restriction.plainCode == 250 ? [Self.alice] : [])
                #expect(arrived == expected, "\(postfix.maillog())")
            }
        }
    }
}
