import Foundation
import Testing

// OpenDKIM's miltertest against the real `relayguard run`: each test starts its own milter on a free port with its
// own config, plays SMTP sessions with miltertest/transaction.lua, and checks both what miltertest saw (its `ok`
// lines and exit status) and the decision relayguard logged for every recipient.

private let imcea = "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>"
private let alice = "<alice@corp.example>"
private let outside = "<bob@elsewhere.com>"

private func rerouteReply(_ action: String, _ recipient: String) -> String {
    let codes = action == "reject" ? "550 5.7.1" : "450 4.7.1"
    return "\(codes) \(recipient): encapsulated or routed address rejected: rerouting is not allowed"
}

private func relayReply(_ recipient: String) -> String { "554 5.7.1 \(recipient): Relay access denied" }

@Suite("miltertest: recipient forms in one transaction")
struct MiltertestRecipientTests {
    /// Denied reroute attempts, then recipients that must still pass in the same transaction.
    static func cases(action: String) -> [MilterCase] {
        let verdict = action == "reject" ? "reject" : "tempfail"
        func denied(_ recipient: String, _ form: String) -> MilterCase {
            MilterCase(recipient: recipient, reply: .replycode, verdict: verdict, rule: "reroute-disabled", form: form,
                       replyText: rerouteReply(action, recipient))
        }
        let x500 = "<IMCEAX500-+2Fo+3DCorp+2Fcn+3DRecipients+2Fcn+3Dalice@corp.example>"
        let ex = "<IMCEAEX-_o=Corp_ou=Exchange+20Administrative+20Group_cn=Recipients_cn=alice@corp.example>"
        return [
            denied(imcea, "imcea"),
            MilterCase(recipient: alice, reply: .continue, verdict: "continue", rule: "pass", form: "plain", replyText: "-"),
            denied("<victim%elsewhere.com@corp.example>", "percent-hack"),
            denied("<elsewhere.com!victim@corp.example>", "bang-path"),
            denied("<@corp.example:victim@elsewhere.com>", "source-route"),
            denied("<\"victim@elsewhere.com\"@corp.example>", "quoted-local-part"),
            // imcea_reject_types always rejects, whatever reroute_action says.
            MilterCase(recipient: x500, reply: .replycode, verdict: "reject", rule: "imcea-reject-type", form: "imcea",
                       replyText: "550 5.1.1 \(x500): Recipient address rejected: encapsulated address type X500 is not accepted"),
            MilterCase(recipient: ex, reply: .continue, verdict: "continue", rule: "pass", form: "imcea", replyText: "-"),
            MilterCase(recipient: "<carol@corp.example>", reply: .continue, verdict: "continue", rule: "pass", form: "plain"),
        ]
    }

    @Test("reroute = no denies every encapsulated and routed form; the other recipients still pass",
          arguments: ["reject", "tempfail"])
    func deniesRoutedForms(action: String) async throws {
        let cases = Self.cases(action: action)
        try await withRelayGuard(["reroute_action = \(action)"]) { milter in
            let transaction = MilterTransaction(client: "203.0.113.9", queueID: "QID1",
                                                recipients: cases.map { ($0.recipient, $0.reply) })
            let decisions = try await play(transaction, on: milter)
            for (decision, expected) in zip(decisions, cases) {
                expectDecision(decision, matches: expected)
                #expect(decision.queueID == "QID1")
                #expect(decision["policy"] == "0")
            }
        }
    }
}

/// A client of the relay-restriction table, and which way the restrictions must go for it.
struct RelayClientCase: Sendable, CustomTestStringConvertible {
    enum Outcome: String, Sendable { case allowed, never, denied }
    var name: String
    var transaction: MilterTransaction
    var outcome: Outcome
    var testDescription: String { name }

    init(_ name: String, _ outcome: Outcome, client: String, auth: String? = nil, daemonAddr: String? = nil) {
        self.name = name
        self.outcome = outcome
        transaction = MilterTransaction(client: client, auth: auth, daemonAddr: daemonAddr, recipients: [])
    }
}

@Suite("miltertest: relay restrictions")
struct MiltertestRelayTests {
    static let settings = [
        "reroute = yes",
        "relay_clients = 192.0.2.0/24, 2001:db8::/32",
        "relay_never = 192.0.2.66",
        "relay_authenticated = yes",
        "relay_local_addresses = 10.0.0.25",
        "local_domains = corp.example",
    ]

    static let clients: [RelayClientCase] = [
        RelayClientCase("IPv4 inside relay_clients", .allowed, client: "192.0.2.10"),
        RelayClientCase("IPv4 outside", .denied, client: "198.51.100.7"),
        RelayClientCase("IPv4 in relay_never, inside relay_clients", .never, client: "192.0.2.66"),
        RelayClientCase("relay_never beats authentication", .never, client: "192.0.2.66", auth: "bob"),
        RelayClientCase("IPv6 inside relay_clients", .allowed, client: "2001:db8::5"),
        RelayClientCase("IPv6 outside", .denied, client: "2001:db9::5"),
        RelayClientCase("IPv4-mapped IPv6 inside", .allowed, client: "::ffff:192.0.2.10"),
        RelayClientCase("IPv4-mapped IPv6 outside", .denied, client: "::ffff:198.51.100.7"),
        RelayClientCase("authenticated, relay_authenticated = yes", .allowed, client: "198.51.100.7", auth: "bob"),
        RelayClientCase("empty {auth_authen} is not authenticated", .denied, client: "198.51.100.7", auth: ""),
        RelayClientCase("{daemon_addr} in relay_local_addresses", .allowed, client: "198.51.100.7", daemonAddr: "10.0.0.25"),
        RelayClientCase("{daemon_addr} outside relay_local_addresses", .denied, client: "198.51.100.7", daemonAddr: "10.0.0.26"),
    ]

    @Test("reroute and plain relay follow the client restrictions", arguments: clients)
    func restrictions(client: RelayClientCase) async throws {
        let allowed = client.outcome == .allowed
        let cases = [
            MilterCase(recipient: imcea, reply: allowed ? .continue : .replycode, verdict: allowed ? "continue" : "reject",
                       rule: "reroute-\(client.outcome.rawValue)", form: "imcea",
                       replyText: allowed ? "-" : rerouteReply("reject", imcea)),
            MilterCase(recipient: outside, reply: allowed ? .continue : .replycode, verdict: allowed ? "continue" : "reject",
                       rule: "relay-\(client.outcome.rawValue)", form: "plain",
                       replyText: allowed ? "-" : relayReply(outside)),
            MilterCase(recipient: alice, reply: .continue, verdict: "continue", rule: "pass", form: "plain", replyText: "-"),
        ]
        var transaction = client.transaction
        transaction.recipients = cases.map { (address: $0.recipient, reply: $0.reply) }
        try await withRelayGuard(Self.settings) { milter in
            let decisions = try await play(transaction, on: milter)
            for (decision, expected) in zip(decisions, cases) {
                expectDecision(decision, matches: expected)
                // Logged canonical: an IPv4-mapped address as the IPv4 address it is.
                let sent = client.transaction.clientAddr
                #expect(decision["client"] == (sent?.hasPrefix("::ffff:") == true ? sent.map { String($0.dropFirst(7)) } : sent))
                let auth = client.transaction.auth.flatMap { $0.isEmpty ? nil : $0 } ?? "-"
                #expect(decision["auth"] == auth)
            }
        }
    }

    @Test("without relay_authenticated, a SASL login grants nothing")
    func authenticationNeedsTheSetting() async throws {
        let settings = Self.settings.filter { !$0.hasPrefix("relay_authenticated") }
        try await withRelayGuard(settings) { milter in
            let transaction = MilterTransaction(client: "198.51.100.7", auth: "bob",
                                                recipients: [(imcea, .replycode), (outside, .replycode)])
            let decisions = try await play(transaction, on: milter)
            #expect(decisions.map { $0["rule"] } == ["reroute-denied", "relay-denied"])
            #expect(decisions.map { $0["auth"] } == ["bob", "bob"])
        }
    }
}

/// Where the client address comes from, and what the restrictions then decide for the IMCEA recipient.
struct MacroPathCase: Sendable, CustomTestStringConvertible {
    var name: String
    var transaction: MilterTransaction
    var rule: String
    var loggedClient: String
    var testDescription: String { name }

    init(_ name: String, socket: String, clientAddr: String? = nil, rule: String, logged: String) {
        self.name = name
        transaction = MilterTransaction(socketAddress: socket, clientAddr: clientAddr, recipients: [])
        self.rule = rule
        loggedClient = logged
    }
}

@Suite("miltertest: where the client address comes from")
struct MiltertestMacroTests {
    static let settings = ["reroute = yes", "relay_clients = 192.0.2.0/24, 2001:db8::/32"]
    static let errorReply =
        "451 4.3.0 \(imcea): relay policy temporarily unavailable, try again later"

    static let paths: [MacroPathCase] = [
        MacroPathCase("{client_addr} macro, Postfix on loopback", socket: "127.0.0.1", clientAddr: "192.0.2.10",
                      rule: "reroute-allowed", logged: "192.0.2.10"),
        MacroPathCase("{client_addr} wins over the socket address", socket: "192.0.2.10", clientAddr: "198.51.100.7",
                      rule: "reroute-denied", logged: "198.51.100.7"),
        // Postfix's "unknown" client: known to be unknown, so it matches no network (denied, not on_error).
        MacroPathCase("{client_addr} = unknown wins over the socket address", socket: "192.0.2.10",
                      clientAddr: "unknown", rule: "reroute-denied", logged: "unknown"),
        MacroPathCase("socket address IPv4 inside", socket: "192.0.2.10", rule: "reroute-allowed", logged: "192.0.2.10"),
        MacroPathCase("socket address IPv4 outside", socket: "198.51.100.7", rule: "reroute-denied", logged: "198.51.100.7"),
        MacroPathCase("socket address IPv6 inside", socket: "2001:db8::5", rule: "reroute-allowed", logged: "2001:db8::5"),
        MacroPathCase("socket address IPv6 outside", socket: "2001:db9::5", rule: "reroute-denied", logged: "2001:db9::5"),
        MacroPathCase("socket address IPv4-mapped IPv6 inside", socket: "::ffff:192.0.2.10", rule: "reroute-allowed",
                      logged: "192.0.2.10"),
    ]

    @Test("the client address: {client_addr} macro, else the connect socket address", arguments: paths)
    func clientAddress(path: MacroPathCase) async throws {
        let allowed = path.rule == "reroute-allowed"
        var transaction = path.transaction
        transaction.recipients = [(address: imcea, reply: allowed ? .continue : .replycode)]
        try await withRelayGuard(Self.settings) { milter in
            let decisions = try await play(transaction, on: milter)
            #expect(decisions.first?["rule"] == path.rule)
            #expect(decisions.first?["client"] == path.loggedClient)
        }
    }

    @Test("no address at all: a rule that needs it answers on_error", arguments: ["tempfail", "accept"])
    func unknownClient(onError: String) async throws {
        let accept = onError == "accept"
        try await withRelayGuard(Self.settings + ["on_error = \(onError)"]) { milter in
            let transaction = MilterTransaction(
                socketAddress: "unspec",
                recipients: [(imcea, accept ? .continue : .replycode), (alice, .continue)])
            let decisions = try await play(transaction, on: milter)
            expectDecision(decisions[0], matches: MilterCase(
                recipient: imcea, reply: .replycode, verdict: accept ? "continue" : "tempfail", rule: "on-error",
                replyText: accept ? "-" : Self.errorReply))
            // A plain local recipient needs no client address.
            #expect(decisions[1]["rule"] == "pass")
            #expect(decisions.map { $0["client"] } == ["-", "-"])
        }
    }

    @Test("relay_never set: an unknown client gets on_error, even authenticated or on a relay_local_addresses address")
    func unknownClientWithRelayNever() async throws {
        let settings = ["reroute = yes", "relay_never = 192.0.2.66", "relay_authenticated = yes",
                        "relay_local_addresses = 10.0.0.25"]
        try await withRelayGuard(settings) { milter in
            for transaction in [
                MilterTransaction(client: "unknown", auth: "bob", recipients: [(imcea, .replycode), (alice, .continue)]),
                MilterTransaction(client: "unknown", daemonAddr: "10.0.0.25", recipients: [(imcea, .replycode), (alice, .continue)]),
            ] {
                let decisions = try await play(transaction, on: milter)
                expectDecision(decisions[0], matches: MilterCase(
                    recipient: imcea, reply: .replycode, verdict: "tempfail", rule: "on-error", replyText: Self.errorReply))
                #expect(decisions[1]["rule"] == "pass")
                #expect(decisions.map { $0["client"] } == ["unknown", "unknown"])
            }
        }
    }

    @Test("the queue id macro i names the log line; without it the line says NOQUEUE")
    func queueID() async throws {
        try await withRelayGuard(Self.settings) { milter in
            let withID = try await play(MilterTransaction(client: "192.0.2.10", queueID: "4XYZ1234",
                                                          recipients: [(alice, .continue)]), on: milter)
            let without = try await play(MilterTransaction(client: "192.0.2.10", recipients: [(alice, .continue)]),
                                         on: milter)
            #expect(withID.map(\.queueID) == ["4XYZ1234"])
            #expect(without.map(\.queueID) == ["NOQUEUE"])
            // Each connection is its own session.
            #expect(withID[0]["session"] != without[0]["session"])
        }
    }
}

@Suite("miltertest: report mode")
struct MiltertestReportModeTests {
    @Test("mode = report answers continue to every would-be denial and logs would_deny=yes")
    func reportMode() async throws {
        let x500 = "<IMCEAX500-+2Fo+3DCorp+2Fcn+3Dalice@corp.example>"
        let settings = ["mode = report", "local_domains = corp.example"]
        try await withRelayGuard(settings) { milter in
            let transaction = MilterTransaction(
                client: "203.0.113.9",
                recipients: [(imcea, .continue), (x500, .continue), ("<a%b@corp.example>", .continue),
                             (outside, .continue), (alice, .continue)])
            let decisions = try await play(transaction, on: milter)
            #expect(decisions.map { $0["verdict"] } == Array(repeating: "continue", count: 5))
            #expect(decisions.map { $0["rule"] }
                == ["reroute-disabled", "imcea-reject-type", "reroute-disabled", "relay-denied", "pass"])
            #expect(decisions.map { $0["would_deny"] } == ["yes", "yes", "yes", "yes", nil])
            // The reply that would have been sent is logged.
            #expect(decisions[0]["reply"] == rerouteReply("reject", imcea))
            #expect(decisions[3]["reply"] == relayReply(outside))
        }
    }
}

@Suite("miltertest: stopping with a session in flight")
struct MiltertestStopTests {
    @Test("SIGTERM and SIGINT stop the milter with exit status 0 while a session is open",
          arguments: [("SIGTERM", SIGTERM), ("SIGINT", SIGINT)])
    func stop(name: String, signal: Int32) async throws {
        let milter = try await RelayGuardProcess()
        var transaction = MilterTransaction(client: "203.0.113.9", recipients: [(imcea, .replycode), (alice, .continue)])
        transaction.holdBefore = 1
        transaction.goFile = milter.scratchPath("go")
        let session = try Miltertest.start(transaction, against: milter)
        do {
            try await session.waitUntilHeld()
            _ = try await milter.waitForDecisions(1)
            try milter.send(signal)
            let exited = try await milter.waitForExit(timeout: .seconds(10))
            #expect(exited, "relayguard still running 10 s after \(name)\n\(milter.log())")
            if exited {
                #expect(milter.exitCode == 0, "\(name): exit status \(milter.exitCode)\n\(milter.log())")
                #expect(!milter.logLines(containing: "relayguard stopped").isEmpty, "\(milter.log())")
            }
        } catch {
            await session.cancel()
            await milter.stop()
            throw error
        }
        // Release the held session. The milter is gone: the recipient decided before the signal kept its answer, the
        // next RCPT finds no milter, and miltertest reports the failure instead of an answer.
        _ = FileManager.default.createFile(atPath: transaction.goFile!, contents: nil)
        let result = try await session.finish()
        await milter.stop()
        #expect(result.exitCode != 0, "\(result)")
        #expect(result.lines.contains("ok   rcpt \(imcea) -> replycode"), "\(result)")
        #expect(result.lines.contains("ok   released"), "\(result)")
        #expect(!result.lines.contains { $0.hasPrefix("ok   rcpt \(alice)") }, "\(result)")
        #expect(!result.lines.contains("ok   disconnect"), "\(result)")
    }
}
