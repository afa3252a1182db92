import Foundation
import Testing

/// `relayguard check-postfix` as an admin runs it: the built binary, the real postconf, a private Postfix
/// configuration directory; exit status and output.
@Suite("relayguard check-postfix (the binary)")
struct CheckPostfixCommandTests {
    let directory = NSTemporaryDirectory() + "relayguard-check-postfix-cli-\(UUID().uuidString)"

    func write(main: String, relayGuard: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o smtpd_milters=inet:127.0.0.1:8891\n"
            .write(toFile: directory + "/master.cf", atomically: true, encoding: .utf8)
        try main.write(toFile: directory + "/main.cf", atomically: true, encoding: .utf8)
        try relayGuard.write(toFile: directory + "/relayguard.conf", atomically: true, encoding: .utf8)
    }

    func checkPostfix(_ extra: [String] = []) async throws -> CommandResult {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await runCommand(try RelayGuardProcess.binaryPath(),
            ["check-postfix", "--config-directory", directory, "--config", directory + "/relayguard.conf"] + extra)
    }

    @Test("findings: exit 1, each with its fix; --json has them all")
    func findings() async throws {
        try write(main: "smtpd_milters = unix:/relayguard/relayguard.sock\nmilter_default_action = accept\nmynetworks = 127.0.0.0/8\n",
                  relayGuard: "socket = unix:/var/spool/postfix/relayguard/relayguard.sock\n")
        let result = try await checkPostfix(["--json"])
        #expect(result.exitCode == 1, "\(result.summary)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let findings = report?["findings"] as? [[String: String]] ?? []
        #expect(findings.map { $0["code"] } == ["service-overrides-milters", "milter-fails-open"], "\(result.summary)")
        #expect(findings.first?["fix"] == "postconf -P 'submission/inet/smtpd_milters=inet:127.0.0.1:8891, unix:relayguard/relayguard.sock'")
        #expect((report?["postfix_version"] as? String)?.first?.isNumber == true, "\(result.summary)")
    }

    @Test("nothing to fix: exit 0")
    func clean() async throws {
        try write(main: "smtpd_milters = inet:127.0.0.1:8894\nmynetworks = 127.0.0.0/8\n"
                      + "submission_milters = inet:127.0.0.1:8891, inet:127.0.0.1:8894\n",
                  relayGuard: "socket = inet:8894@127.0.0.1\n")
        try "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o smtpd_milters=$submission_milters\n"
            .write(toFile: directory + "/master.cf", atomically: true, encoding: .utf8)
        let result = try await checkPostfix()
        #expect(result.exitCode == 0, "\(result.summary)")
        #expect(result.stdout.contains("nothing to fix"))
    }

    @Test("a configuration postconf cannot read: exit 2 and postconf's reason")
    func unreadable() async throws {
        try write(main: "", relayGuard: "socket = inet:8894@127.0.0.1\n")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await runCommand(try RelayGuardProcess.binaryPath(),
            ["check-postfix", "--config-directory", "/nonexistent/postfix", "--config", directory + "/relayguard.conf"])
        #expect(result.exitCode == 2, "\(result.summary)")
        #expect(result.stderr.contains("-c /nonexistent/postfix failed"), "\(result.summary)")
        #expect(result.stderr.contains("main.cf"), "\(result.summary)")
    }
}
