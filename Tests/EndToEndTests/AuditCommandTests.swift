import Foundation
import Testing

/// `relayguard audit` over logs a real Postfix wrote: the hole Postfix alone leaves shows as a delivery joined with
/// its client; with RelayGuard attached the same recipient shows as a refusal of that client.
@Suite("relayguard audit (the binary, real Postfix logs)")
struct AuditCommandTests {
    static func audit(_ arguments: [String]) async throws -> (CommandResult, [String: Any]) {
        let result = try await runCommand(try RelayGuardProcess.binaryPath(), ["audit", "--json"] + arguments)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result, report)
    }

    @Test("Postfix alone: the IMCEA recipient was delivered; audit says who sent it, from the plain, gzip and stdin log")
    func deliveredWithoutRelayGuard() async throws {
        try await withPostfix { postfix in
            let sent = try await Swaks.send(to: postfix, recipients: [Recipients.imcea, Recipients.alice], client: Clients.outside)
            #expect(sent.recipientCodes[Recipients.imcea] == 250, "\(sent.output.stdout)")
            try await postfix.waitForQueueToDrain()

            let gzipped = NSTemporaryDirectory() + "relayguard-audit-\(UUID().uuidString).log.gz"
            defer { try? FileManager.default.removeItem(atPath: gzipped) }
            let gzip = try await runCommand("/bin/sh", ["-c", "gzip -c '\(postfix.maillogPath)' > '\(gzipped)'"])
            #expect(gzip.exitCode == 0, "\(gzip.summary)")

            for source in [[postfix.maillogPath], [gzipped]] {
                let (result, report) = try await Self.audit(source)
                #expect(result.exitCode == 1, "\(result.summary)\n\(postfix.maillog())")
                let deliveries = report["deliveries"] as? [[String: Any]] ?? []
                #expect(deliveries.count == 1, "\(result.stdout)\n\(postfix.maillog())")
                let delivery = try #require(deliveries.first)
                #expect(delivery["recipient"] as? String == Recipients.imcea)
                #expect(delivery["decodes_to"] as? String == "victim@elsewhere.com")
                #expect(delivery["client"] as? String == "203.0.113.9")
                #expect(delivery["family"] as? String == "imcea:SMTP")
                #expect(delivery["status"] as? String == "sent")
                #expect((delivery["relay"] as? String)?.hasPrefix("127.0.0.1[127.0.0.1]:") == true, "\(delivery)")
            }
            let stdin = try await runCommand("/bin/sh", ["-c", "'\(try RelayGuardProcess.binaryPath())' audit - < '\(postfix.maillogPath)'"])
            #expect(stdin.exitCode == 1, "\(stdin.summary)")
            #expect(stdin.stdout.contains("Encapsulated or routed recipients Postfix accepted and delivered: 1"), "\(stdin.summary)")
            #expect(stdin.stdout.contains("victim@elsewhere.com"), "\(stdin.summary)")
            print("audit of Postfix alone's log:\n\(stdin.stdout)")
        }
    }

    @Test("with RelayGuard: nothing delivered (exit 0), the prober counted per family")
    func refusedWithRelayGuard() async throws {
        try await withRelayGuard { milter in
            try await withPostfix(PostfixOptions(milter: milter.postfixMilter())) { postfix in
                let sent = try await Swaks.send(to: postfix, recipients: [Recipients.imcea, "b!a@corp.example", Recipients.alice, Recipients.bob], client: Clients.outside)
                #expect(sent.recipientCodes[Recipients.imcea] == 550, "\(sent.output.stdout)")
                try await postfix.waitForQueueToDrain()
                let (result, report) = try await Self.audit([postfix.maillogPath])
                #expect(result.exitCode == 0, "\(result.summary)")
                #expect(report["delivery_count"] as? Int == 0)
                let refusals = report["refusals"] as? [[String: Any]] ?? []
                #expect(refusals.count == 1, "\(result.stdout)")
                #expect(refusals.first?["client"] as? String == "203.0.113.9")
                // Postfix itself refuses the bang path (allow_untrusted_routing = no) and bob@ (not a relay domain).
                #expect(refusals.first?["relayguard"] as? Int == 1, "\(result.stdout)\n\(postfix.maillog())")
                #expect(refusals.first?["relay_access_denied"] as? Int == 2, "\(result.stdout)\n\(postfix.maillog())")
                #expect(refusals.first?["families"] as? [String: Int] == ["imcea:SMTP": 1, "bang-path": 1, "plain": 1])
            }
        }
    }

    @Test("an unreadable file: exit 2 and its name, the readable ones still audited")
    func unreadable() async throws {
        let empty = NSTemporaryDirectory() + "relayguard-audit-empty-\(UUID().uuidString).log"
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let result = try await runCommand(try RelayGuardProcess.binaryPath(), ["audit", "/nonexistent/mail.log", empty])
        #expect(result.exitCode == 2, "\(result.summary)")
        #expect(result.stderr.contains("/nonexistent/mail.log: No such file or directory"), "\(result.summary)")
        #expect(result.stdout.contains("0 lines read from \(empty)"), "\(result.summary)")
    }

    @Test("a bad --since is a usage error (64)")
    func badSince() async throws {
        let result = try await runCommand(try RelayGuardProcess.binaryPath(), ["audit", "--since", "yesterday", "-"])
        #expect(result.exitCode == 64, "\(result.summary)")
        #expect(result.stderr.contains("--since"), "\(result.summary)")
    }
}
