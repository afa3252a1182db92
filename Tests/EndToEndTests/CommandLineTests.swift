import Foundation
import Testing

/// The built `relayguard` binary's inspection commands: exit codes, output fields, standard input.
@Suite("relayguard explain, decode, check-config, show-config")
struct CommandLineTests {
    static let imcea = "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.test>"

    /// Issue 10's "gw" config.
    static let gateway = """
        reroute = no
        relay_clients = 192.0.2.0/24
        local_domains = corp.test
        local_recipients = alice@corp.test

        """

    /// Runs the binary with `arguments`, standard input from `input` when given.
    static func relayguard(_ arguments: [String], input: String? = nil, timeout: Duration = .seconds(30)) async throws -> CommandResult {
        let binary = try RelayGuardProcess.binaryPath()
        guard let input else { return try await runCommand(binary, arguments, timeout: timeout) }
        let directory = try TemporaryDirectory(prefix: "relayguard-cli")
        defer { directory.remove() }
        let inputPath = try directory.write(input, to: "input")
        // mkdtemp's path has no quote in it.
        return try await runCommand("/bin/sh", ["-c", "exec \"$0\" \"$@\" < '\(inputPath)'", binary] + arguments, timeout: timeout)
    }

    static func withConfig<T>(_ text: String, _ body: (String) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(prefix: "relayguard-cli")
        defer { directory.remove() }
        return try await body(try directory.write(text, to: "relayguard.conf"))
    }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n") }

    static func json(_ line: Substring) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    @Test("explain: one line a recipient, decided with Postfix's parsed address")
    func explainLines() async throws {
        try await Self.withConfig(Self.gateway) { config in
            let result = try await Self.relayguard(["explain", "--config", config, "--client-ip", "203.0.113.9",
                                                    "--myhostname", "gw.corp.test", Self.imcea, "<Joe <alice@corp.test>>",
                                                    "<postmaster>", "<bob@elsewhere.example>"])
            #expect(result.exitCode == 0, "\(result.summary)")
            let lines = Self.lines(result.stdout)
            try #require(lines.count == 4, "\(result.summary)")
            #expect(lines[0].hasPrefix("reject reply=\"550 5.7.1 "), "\(lines[0])")
            #expect(lines[0].contains(" rule=reroute-disabled form=imcea imcea_type=SMTP inner=victim@elsewhere.com "))
            #expect(lines[1] == "continue reply=- rule=pass form=plain inner=- recipient=<alice@corp.test>")
            #expect(lines[2] == "continue reply=- rule=pass form=plain inner=- recipient=<postmaster> rcpt_addr=<postmaster@gw.corp.test>")
            #expect(lines[3].hasPrefix("reject reply=\"554 5.7.1 <bob@elsewhere.example>: Relay access denied\" rule=relay-denied"))
        }
    }

    @Test("explain --json: every field, the parsed address and Postfix's own refusal")
    func explainJSON() async throws {
        try await Self.withConfig(Self.gateway) { config in
            let result = try await Self.relayguard(["explain", "--config", config, "--client-ip", "203.0.113.9", "--json",
                                                    "<(c)IMCEASMTP-victim+40elsewhere+2Ecom@corp.test>",
                                                    "<a@corp.test, b@corp.test>"])
            #expect(result.exitCode == 0, "\(result.summary)")
            let lines = Self.lines(result.stdout)
            try #require(lines.count == 2, "\(result.summary)")
            let first = try Self.json(lines[0])
            #expect(Set(first.keys) == ["recipient", "verdict", "code", "xcode", "text", "rule", "form", "imcea_type",
                                        "inner", "would_deny", "rcpt_addr", "postfix_reply"])
            #expect(first["verdict"] as? String == "reject")
            #expect(first["code"] as? String == "550")
            #expect(first["xcode"] as? String == "5.7.1")
            #expect(first["rule"] as? String == "reroute-disabled")
            #expect(first["imcea_type"] as? String == "SMTP")
            #expect(first["inner"] as? String == "victim@elsewhere.com")
            #expect(first["rcpt_addr"] as? String == "imceasmtp-victim+40elsewhere+2ecom@corp.test")
            #expect(first["postfix_reply"] is NSNull)
            #expect(first["would_deny"] as? Bool == false)
            let second = try Self.json(lines[1])
            #expect(second["postfix_reply"] as? String == "501 5.1.3 Bad recipient address syntax")
            #expect(second["rcpt_addr"] is NSNull)
        }
    }

    @Test("explain --rcpt-addr decides the address given; explain reads - from standard input")
    func explainRcptAddrAndStandardInput() async throws {
        try await Self.withConfig(Self.gateway) { config in
            let given = try await Self.relayguard(["explain", "--config", config, "--client-ip", "203.0.113.9",
                                                   "--rcpt-addr", "bob@elsewhere.example", "<alice@corp.test>"])
            #expect(given.exitCode == 0, "\(given.summary)")
            #expect(given.stdout.contains("rule=relay-denied"), "\(given.summary)")
            let input = "<alice@corp.test>\r\n\n\(Self.imcea)\n<<alice@corp.test>>\n"
            let read = try await Self.relayguard(["explain", "--config", config, "--client-ip", "192.0.2.10", "-"], input: input)
            #expect(read.exitCode == 0, "\(read.summary)")
            let verdicts = Self.lines(read.stdout).map { $0.prefix { $0 != " " } }
            #expect(verdicts == ["continue", "reject", "continue"], "\(read.summary)")
        }
    }

    @Test("explain and decode refuse bad command lines with exit 64", arguments: [
        ["explain", "--client-ip", "203.0.113.9"],
        ["explain", "--client-ip", "not-an-ip", "a@b.example"],
        ["explain", "--client-ip", "203.0.113.9", "--rcpt-addr", "x@y.example", "a@b.example", "c@d.example"],
        ["explain", "--client-ip", "203.0.113.9", "--rcpt-addr", "x@y.example", "-"],
        ["decode"],
    ])
    func usageErrors(_ arguments: [String]) async throws {
        let result = try await Self.relayguard(arguments)
        #expect(result.exitCode == 64, "\(result.summary)")
        #expect(result.stderr.contains("Error: "), "\(result.summary)")
        #expect(result.stdout.isEmpty, "\(result.summary)")
    }

    @Test("decode: arguments, -- and standard input")
    func decode() async throws {
        let result = try await Self.relayguard(["decode", Self.imcea, "-", "--", "-x@corp.test"], input: "victim%elsewhere.com@corp.test\n")
        #expect(result.exitCode == 0, "\(result.summary)")
        #expect(Self.lines(result.stdout) == [
            "form=imcea imcea_type=SMTP inner=victim@elsewhere.com recipient=\(Self.imcea)",
            "form=percent-hack inner=victim@elsewhere.com recipient=<victim%elsewhere.com@corp.test>",
            "form=plain inner=- recipient=<-x@corp.test>",
        ], "\(result.summary)")
    }

    /// Issue 10 §7: 20,000 arguments took 17 s (swift-argument-parser removed each operand from an array). Speed is
    /// not asserted here (BENCHMARKS.md's rule); the functional part is: every operand and every line of standard
    /// input gets its line. The command timeout is only a hang guard: the quadratic parser needed minutes here.
    @Test("decode and explain answer 20,000 recipients, as arguments and from standard input")
    func manyRecipients() async throws {
        let recipients = (1...20_000).map { "user\($0)@corp.test" }
        let decode = try await Self.relayguard(["decode"] + recipients, timeout: .seconds(300))
        #expect(decode.exitCode == 0)
        #expect(Self.lines(decode.stdout).count == 20_000)
        #expect(Self.lines(decode.stdout).last?.hasSuffix("recipient=<user20000@corp.test>") == true)
        // An explicit (empty) config: without --config, explain reads /etc/relayguard/relayguard.conf when it exists,
        // and PackageTests installs and purges that file while this suite runs in parallel.
        let explain = try await Self.withConfig("") { config in
            try await Self.relayguard(["explain", "--config", config, "--client-ip", "203.0.113.9", "-"],
                                      input: recipients.joined(separator: "\n"), timeout: .seconds(300))
        }
        #expect(explain.exitCode == 0, "\(explain.summary)")
        #expect(Self.lines(explain.stdout).count == 20_000)
    }

    @Test("check-config: exit 0 with the local_domains note, 78 with file:line errors")
    func checkConfig() async throws {
        try await Self.withConfig(Self.gateway) { config in
            let result = try await Self.relayguard(["check-config", "--config", config])
            #expect(result.exitCode == 0, "\(result.summary)")
            #expect(Self.lines(result.stdout) == [
                "note: local_domains = corp.test does not cover its subdomains (sub.corp.test), unlike Postfix's relay_domains (parent_domain_matches_subdomains); list .corp.test too if they are local",
                "\(config): OK",
            ], "\(result.summary)")
        }
        try await Self.withConfig("local_domains = corp.test, .corp.test\n") { config in
            let result = try await Self.relayguard(["check-config", "--config", config])
            #expect(result.exitCode == 0 && result.stdout == "\(config): OK\n", "\(result.summary)")
        }
        try await Self.withConfig("reroute = no\nrerout = yes\n") { config in
            let result = try await Self.relayguard(["check-config", "--config", config])
            #expect(result.exitCode == 78, "\(result.summary)")
            #expect(result.stderr.contains("\(config):2: "), "\(result.summary)")
            #expect(result.stdout.isEmpty, "\(result.summary)")
        }
    }

    @Test("show-config: every key, the file's values and the defaults")
    func showConfig() async throws {
        try await Self.withConfig(Self.gateway) { config in
            let result = try await Self.relayguard(["show-config", "--config", config])
            #expect(result.exitCode == 0, "\(result.summary)")
            let lines = Set(Self.lines(result.stdout).map(String.init))
            for expected in ["reroute = no", "local_domains = corp.test", "relay_clients = 192.0.2.0/24", "mode = enforce"] {
                #expect(lines.contains(expected), "\(expected)\n\(result.summary)")
            }
        }
        let missing = try await Self.relayguard(["show-config", "--config", "/nonexistent/relayguard.conf"])
        #expect(missing.exitCode == 78, "\(missing.summary)")
    }
}
