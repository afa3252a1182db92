import Testing

/// What only the spawn form has: spawn(8) connects standard error to smtpd, as well as standard output.
@Suite("Postfix with RelayGuard as a spawned policy service: standard error")
struct PolicySpawnStderrTests {
    /// relayguard then logs to syslog (PolicyServiceLogTargetTests); smtpd 3.7 happens to skip `name=value` lines it
    /// does not expect, but nothing promises that of a line without `=`.
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
}
