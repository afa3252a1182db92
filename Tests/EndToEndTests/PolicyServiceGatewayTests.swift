import Foundation
import Testing

/// `relayguard policy` spawned by a real Postfix (master.cf `spawn`, `check_policy_service` first in
/// `smtpd_relay_restrictions`): the same answers as the milter for recipients Postfix hands it, DUNNO otherwise.
@Suite("Postfix with RelayGuard as a spawned policy service")
struct PolicyServiceGatewayTests {
    /// The decision line for `recipient`, with the policy front end's marker.
    static func decisionLine(for recipient: String, in log: String) -> String? {
        log.split(separator: "\n").last { $0.contains(" recipient=<\(recipient)>") && $0.hasSuffix(" frontend=policy") }
            .map(String.init)
    }

    @Test("defaults: the IMCEA recipient gets RelayGuard's 550 5.7.1 and a decision line; the plain one is delivered")
    func enforce() async throws {
        try await withPolicyService { postfix, service in
            let result = try await Swaks.send(
                to: postfix, recipients: [Recipients.imcea, Recipients.alice], client: Clients.outside)

            let refused = try #require(result.reply(for: Recipients.imcea), "\(result.output.stdout)")
            #expect(refused.code == 550, "\(refused)\n\(service.log())\n\(postfix.maillog())")
            #expect(refused.enhancedCode == "5.7.1", "\(refused)")
            // smtpd's prefix for a policy service's reply, then RelayGuard's text (its own `<%r>: ` left out).
            #expect(refused.text.hasSuffix(" <\(Recipients.imcea)>: Recipient address rejected: "
                    + "encapsulated or routed address rejected: rerouting is not allowed"), "\(refused)")
            #expect(result.reply(for: Recipients.alice)?.code == 250)

            try await postfix.waitForQueueToDrain()
            #expect(try postfix.sink.recipients() == [Recipients.alice], "\(postfix.maillog())")

            let line = try #require(Self.decisionLine(for: Recipients.imcea, in: service.log()), "\(service.log())")
            #expect(line.contains(": session="), "\(line)")
            #expect(line.contains(" client=203.0.113.9 auth=- policy=0 verdict=reject "), "\(line)")
            #expect(line.contains(" rule=reroute-disabled form=imcea imcea_type=SMTP inner=victim@elsewhere.com "), "\(line)")
            let plain = try #require(Self.decisionLine(for: Recipients.alice, in: service.log()), "\(service.log())")
            #expect(plain.contains(" verdict=continue reply=- rule=pass "), "\(plain)")
        }
    }

    @Test("report mode: 250, delivered, would_deny=yes logged")
    func report() async throws {
        try await withPolicyService(["mode = report"]) { postfix, service in
            let result = try await Swaks.send(to: postfix, recipients: [Recipients.imcea], client: Clients.outside)
            #expect(result.reply(for: Recipients.imcea)?.code == 250, "\(result.output.stdout)\n\(service.log())")
            try await postfix.waitForQueueToDrain()
            #expect(try postfix.sink.recipients() == [Recipients.imcea], "\(postfix.maillog())")
            let line = try #require(Self.decisionLine(for: Recipients.imcea, in: service.log()), "\(service.log())")
            #expect(line.contains(" verdict=continue ") && line.contains(" rule=reroute-disabled would_deny=yes "), "\(line)")
        }
    }

    @Test("outside the relay domain: DUNNO, then Postfix's own reject_unauth_destination still answers")
    func relayStillPostfixs() async throws {
        try await withPolicyService { postfix, service in
            let result = try await Swaks.send(to: postfix, recipients: [Recipients.bob], client: Clients.outside)
            let reply = try #require(result.reply(for: Recipients.bob), "\(result.output.stdout)")
            #expect(reply.code == 554 && reply.text.contains("Relay access denied"), "\(reply)\n\(service.log())")
        }
    }

    /// spawn(8) connects standard error to smtpd. relayguard then logs to syslog (PolicyServiceLogTargetTests); smtpd
    /// 3.7 happens to skip `name=value` lines it does not expect, but nothing promises that of a line without `=`.
    @Test("log = stderr under spawn with nothing redirected: the answers are RelayGuard's")
    func stderrIsTheConnection() async throws {
        try await withPolicyService(["log = stderr"], redirectStderr: false) { postfix, _ in
            let result = try await Swaks.send(
                to: postfix, recipients: [Recipients.imcea, Recipients.alice], client: Clients.outside)
            #expect(result.reply(for: Recipients.imcea)?.code == 550, "\(result.output.stdout)\n\(postfix.maillog())")
            #expect(result.reply(for: Recipients.alice)?.code == 250, "\(result.output.stdout)")
            #expect(!postfix.maillog().contains("4.3.5"), "\(postfix.maillog())")
        }
    }

    /// client_address (IPv4, IPv6 as Postfix writes it) and sasl_username reach the policy's client rules.
    @Test("relay_clients, relay_authenticated and an IPv6 client, through the policy attributes")
    func clientAttributes() async throws {
        let settings = ["reroute = yes", "relay_clients = 192.0.2.10", "relay_authenticated = yes"]
        try await withPolicyService(settings) { postfix, service in
            let cases: [(client: XClient, code: Int, fields: String)] = [
                (Clients.relayClient, 250, " client=192.0.2.10 auth=- policy=0 verdict=continue reply=- rule=reroute-allowed "),
                (XClient("203.0.113.9", login: "bob"), 250, " client=203.0.113.9 auth=bob policy=0 verdict=continue reply=- rule=reroute-allowed "),
                (Clients.outsideIPv6, 550, " client=2001:db8::5 auth=- policy=0 verdict=reject "),
            ]
            for (client, code, fields) in cases {
                let result = try await Swaks.send(to: postfix, recipients: [Recipients.imcea], client: client)
                #expect(result.reply(for: Recipients.imcea)?.code == code, "\(client.attributes): \(result.output.stdout)")
                let line = Self.decisionLine(for: Recipients.imcea, in: service.log()) ?? ""
                #expect(line.contains(fields), "\(client.attributes): \(line)\n\(service.log())")
            }
        }
    }

    /// server_address (the address the client connected to) reaches relay_local_addresses.
    @Test("relay_local_addresses through server_address: 127.0.0.2 allowed, 127.0.0.1 denied")
    func serverAddress() async throws {
        let settings = ["reroute = yes", "relay_local_addresses = 127.0.0.2"]
        try await withPolicyService(settings, extraListenAddresses: ["127.0.0.2"]) { postfix, service in
            for (server, code, rule) in [("127.0.0.2", 250, "reroute-allowed"), ("127.0.0.1", 550, "reroute-denied")] {
                let result = try await Swaks.send(
                    to: postfix, recipients: [Recipients.imcea], client: Clients.outside, server: server)
                #expect(result.reply(for: Recipients.imcea)?.code == code, "\(server): \(result.output.stdout)")
                let line = Self.decisionLine(for: Recipients.imcea, in: service.log()) ?? ""
                #expect(line.contains(" rule=\(rule) "), "\(server): \(line)")
            }
        }
    }
}
