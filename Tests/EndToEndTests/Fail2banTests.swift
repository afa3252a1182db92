import Foundation
import Testing

/// postfix-examples/fail2ban: the filter must match exactly the refusals RelayGuard caused, in the log a real Postfix
/// wrote, and the jail must load in fail2ban with it. fail2ban's own tools judge both (Debian's fail2ban package).
@Suite("postfix-examples/fail2ban")
struct Fail2banTests {
    static let examples = PostfixExamplesTests.directory.appendingPathComponent("fail2ban")
    static let fail2banRegex = RequiredTool(name: "fail2ban-regex", package: "fail2ban")
    static let fail2banClient = RequiredTool(name: "fail2ban-client", package: "fail2ban")

    /// A copy of the system's fail2ban configuration (for common.conf and the Debian paths) with the example filter
    /// and jail installed as the README says.
    static func configDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "relayguard-fail2ban-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: "/etc/fail2ban", toPath: directory)
        try FileManager.default.copyItem(atPath: examples.appendingPathComponent("relayguard-filter.conf").path,
                                         toPath: directory + "/filter.d/relayguard.conf")
        try FileManager.default.copyItem(atPath: examples.appendingPathComponent("relayguard-jail.conf").path,
                                         toPath: directory + "/jail.d/relayguard.conf")
        return directory
    }

    @Test("the filter matches RelayGuard's refusals and nothing else in a real Postfix log")
    func filterMatchesRelayGuardRefusals() async throws {
        let prober = XClient("203.0.113.9")
        let neighbour = XClient("198.51.100.7")
        try await withRelayGuard { milter in
            try await withPostfix(PostfixOptions(milter: milter.postfixMilter())) { postfix in
                // Refused by RelayGuard: three lines to match, all the prober's.
                let probe = try await Swaks.send(to: postfix, recipients: [
                    Recipients.imcea, "IMCEAX500-_O=X_CN=Y@corp.example", "IMCEAFAX-x+40elsewhere+2Ecom@corp.example",
                    Recipients.alice,
                ], client: prober)
                #expect(probe.recipientCodes[Recipients.imcea] == 550, "\(probe.output.stdout)\n\(milter.log())")
                #expect(probe.recipientCodes["IMCEAX500-_O=X_CN=Y@corp.example"] == 550, "\(probe.output.stdout)")
                // Refused by Postfix itself (reject_unauth_destination), and accepted mail: neither is RelayGuard's.
                let neighbourly = try await Swaks.send(
                    to: postfix, from: "n@outside.example", recipients: [Recipients.bob, Recipients.alice], client: neighbour)
                #expect(neighbourly.recipientCodes[Recipients.bob] == 554, "\(neighbourly.output.stdout)")
                let refusedByRelayGuard = probe.transcript.recipientReplies.filter { !$0.reply.isPositive }.count
                try await postfix.waitForQueueToDrain()

                let config = try Self.configDirectory()
                defer { try? FileManager.default.removeItem(atPath: config) }
                // The private Postfix logs as relayguard-e2e-PORT/smtpd, not postfix/smtpd: the filter's documented
                // option for another syslog_name.
                let filter = "relayguard[_daemon=relayguard-e2e-\(postfix.smtpPort)/\\w+]"
                let result = try await runCommand(try Self.fail2banRegex.path(),
                    ["-c", config, "--print-all-matched", postfix.maillogPath, filter], timeout: .seconds(60))
                #expect(result.exitCode == 0, "\(result.summary)")
                let matched = Self.matchedLines(result.stdout)
                let log = postfix.maillog()
                let milterRejects = log.split(separator: "\n").filter {
                    $0.contains("milter-reject: RCPT") && !$0.contains("temporarily unavailable")
                }
                #expect(matched.count == refusedByRelayGuard, "\(result.stdout)\n\(log)")
                #expect(matched.count == milterRejects.count, "\(result.stdout)\n\(log)")
                #expect(matched.count >= 2, "\(result.stdout)\n\(log)")
                #expect(matched.allSatisfy { $0.contains("[203.0.113.9]") }, "\(matched)")
                #expect(result.stdout.contains("Lines: "), "\(result.stdout)")
            }
        }
    }

    @Test("the filter matches the policy service's refusals too, not Postfix's own Relay access denied")
    func filterMatchesPolicyRefusals() async throws {
        try await withPolicyService { postfix, service in
            let probe = try await Swaks.send(to: postfix, recipients: [Recipients.imcea, "IMCEANOTES-x+40y+2Ecom@corp.example", Recipients.alice],
                                             client: XClient("203.0.113.9"))
            #expect(probe.recipientCodes[Recipients.imcea] == 550, "\(probe.output.stdout)\n\(service.log())")
            let neighbourly = try await Swaks.send(to: postfix, from: "n@outside.example", recipients: [Recipients.bob, Recipients.alice],
                                                   client: XClient("198.51.100.7"))
            #expect(neighbourly.recipientCodes[Recipients.bob] == 554, "\(neighbourly.output.stdout)")
            try await postfix.waitForQueueToDrain()
            let config = try Self.configDirectory()
            defer { try? FileManager.default.removeItem(atPath: config) }
            let result = try await runCommand(try Self.fail2banRegex.path(),
                ["-c", config, "--print-all-matched", postfix.maillogPath, "relayguard[_daemon=relayguard-e2e-\(postfix.smtpPort)/\\w+]"],
                timeout: .seconds(60))
            #expect(result.exitCode == 0, "\(result.summary)")
            let matched = Self.matchedLines(result.stdout)
            #expect(matched.count == 2, "\(result.stdout)\n\(postfix.maillog())")
            #expect(matched.allSatisfy { $0.contains("[203.0.113.9]") && $0.contains("Recipient address rejected: encapsulated or routed") }, "\(matched)")
        }
    }

    @Test("the jail loads in fail2ban with the filter")
    func jailLoads() async throws {
        let config = try Self.configDirectory()
        defer { try? FileManager.default.removeItem(atPath: config) }
        let dump = try await runCommand(try Self.fail2banClient.path(), ["-c", config, "-d"], timeout: .seconds(60))
        #expect(dump.exitCode == 0, "\(dump.summary)")
        #expect(dump.stdout.contains("['add', 'relayguard', 'auto']"), "\(dump.summary)")
        #expect(dump.stdout.contains("['set', 'relayguard', 'maxretry', 5]"), "\(dump.summary)")
        #expect(dump.stdout.contains("milter-reject: RCPT from"), "\(dump.summary)")
    }

    /// The lines under fail2ban-regex's "Matched line(s):" heading.
    static func matchedLines(_ output: String) -> [String] {
        var lines: [String] = []
        var inMatched = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|- Matched line(s):") { inMatched = true; continue }
            if inMatched, line.hasPrefix("`-") || line.hasPrefix("|- ") { inMatched = false; continue }
            if inMatched, line.hasPrefix("|  ") { lines.append(String(line.dropFirst(3))) }
        }
        return lines
    }
}
