import Foundation
import Testing

/// `relayguard probe` against a private Postfix on loopback, as an outside client (the gateway's mynetworks does not
/// hold 127.0.0.1 here), and against servers that fail: exit status, what each family got, no hang.
@Suite("relayguard probe (the binary)")
struct ProbeCommandTests {
    /// Loopback is outside this gateway: the probe's own connection is the outside client.
    static let outsideGateway = PostfixOptions(mynetworks: "192.0.2.0/24")

    static func probe(port: UInt16, _ extra: [String] = []) async throws -> (CommandResult, [[String: Any]]) {
        let result = try await runCommand(try RelayGuardProcess.binaryPath(),
            ["probe", "--port", String(port), "--json", "--timeout", "10"] + extra + ["127.0.0.1", "corp.example"],
            timeout: .seconds(120))
        let report = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result, report?["results"] as? [[String: Any]] ?? [])
    }

    static func outcomes(_ results: [[String: Any]]) -> [String: String] {
        Dictionary(results.compactMap { row in (row["family"] as? String).map { ($0, row["outcome"] as? String ?? "?") } }) { a, _ in a }
    }

    @Test("Postfix alone: the probe finds the holes it leaves (exit 1), each with what it decodes to")
    func postfixAlone() async throws {
        try await withPostfix(Self.outsideGateway) { postfix in
            let (result, results) = try await Self.probe(port: postfix.smtpPort)
            #expect(result.exitCode == 1, "\(result.summary)")
            let outcome = Self.outcomes(results)
            // Postfix's reject_unauth_destination refuses plain relaying and every form with a routing character in
            // an unquoted or quoted local part; an IMCEA address at the relay domain has none, and passes.
            #expect(outcome["plain-relay"] == "refused", "\(outcome)")
            for family in ["percent-hack", "bang-path", "quoted-at", "source-route", "double-at"] {
                #expect(outcome[family] == "refused", "\(family): \(outcome)")
            }
            let holes = results.filter { $0["outcome"] as? String == "accepted" }.compactMap { $0["family"] as? String }
            for family in ["imcea-smtp", "imcea-smtp-lowercase", "imcea-utf8", "imcea-x400", "imcea-nested", "imcea-notes", "imcea-fax"] {
                #expect(holes.contains(family), "\(family) should be a hole of Postfix alone: \(outcome)")
            }
            // The transcript the README shows.
            let table = try await runCommand(try RelayGuardProcess.binaryPath(),
                ["probe", "--port", String(postfix.smtpPort), "127.0.0.1", "corp.example"], timeout: .seconds(120))
            #expect(table.exitCode == 1, "\(table.summary)")
            print("probe of Postfix alone:\n\(table.stdout)")
            let imcea = try #require(results.first { $0["family"] as? String == "imcea-smtp" })
            #expect(imcea["decodes_to"] as? String == "victim@relayguard-probe.invalid")
            // Nothing was delivered: the probe never sends DATA.
            try await postfix.waitForQueueToDrain()
            #expect(try postfix.sink.messages().isEmpty)
        }
    }

    @Test("with RelayGuard: nothing accepted (exit 0), and the table says so")
    func attached() async throws {
        try await withRelayGuard { milter in
            var options = Self.outsideGateway
            options.milter = milter.postfixMilter()
            try await withPostfix(options) { postfix in
                let (result, results) = try await Self.probe(port: postfix.smtpPort)
                #expect(result.exitCode == 0, "\(result.summary)\n\(milter.log())")
                #expect(results.count == 26, "\(Self.outcomes(results))")
                #expect(results.allSatisfy { $0["outcome"] as? String == "refused" }, "\(Self.outcomes(results))")
                let table = try await runCommand(try RelayGuardProcess.binaryPath(),
                    ["probe", "--port", String(postfix.smtpPort), "127.0.0.1", "corp.example"], timeout: .seconds(120))
                #expect(table.exitCode == 0, "\(table.summary)")
                #expect(table.stdout.contains(" 0 accepted, "), "\(table.stdout)")
                #expect(table.stdout.contains("run it from outside"), "\(table.stdout)")
                #expect(table.stderr.contains("probe: [1/"), "\(table.stderr)")
            }
        }
    }

    @Test("a server that hangs up at RCPT: exit 2, the reason, no hang")
    func hangUp() async throws {
        let server = try ScriptedSMTPServer(.hangUpAtRecipient)
        defer { server.stop() }
        let (result, results) = try await Self.probe(port: server.port)
        #expect(result.exitCode == 2, "\(result.summary)")
        #expect(results.first?["reply"] as? String == "the server closed the connection after RCPT TO", "\(result.summary)")
        #expect(results.allSatisfy { $0["outcome"] as? String == "error" })
    }

    @Test("a server that never answers: exit 2 after the timeout, the reason")
    func silent() async throws {
        let server = try ScriptedSMTPServer(.silent)
        defer { server.stop() }
        let result = try await runCommand(try RelayGuardProcess.binaryPath(),
            ["probe", "--port", String(server.port), "--timeout", "1", "127.0.0.1", "corp.example"], timeout: .seconds(30))
        #expect(result.exitCode == 2, "\(result.summary)")
        #expect(result.stderr.contains("no reply within 1.0 s after connect"), "\(result.summary)")
    }

    @Test("a tarpit that trickles its greeting cannot stretch a reply past the timeout: exit 2")
    func trickle() async throws {
        let server = try ScriptedSMTPServer(.trickle)
        defer { server.stop() }
        let result = try await runCommand(try RelayGuardProcess.binaryPath(),
            ["probe", "--port", String(server.port), "--timeout", "1", "127.0.0.1", "corp.example"], timeout: .seconds(30))
        #expect(result.exitCode == 2, "\(result.summary)")
        // A deadline per poll would have read the whole greeting (a byte every 0.4 s, 11 s) and failed later, at EHLO.
        #expect(result.stderr.contains("no reply within 1.0 s after connect"), "\(result.summary)")
    }

    @Test("nothing listening: exit 2, the reason")
    func refusedConnection() async throws {
        let result = try await runCommand(try RelayGuardProcess.binaryPath(),
            ["probe", "--port", String(try FreePort.allocate()), "127.0.0.1", "corp.example"], timeout: .seconds(30))
        #expect(result.exitCode == 2, "\(result.summary)")
        #expect(result.stderr.contains("cannot connect to 127.0.0.1"), "\(result.summary)")
    }
}
