import Foundation
import Testing

/// The snippets in `postfix-examples/`: each main.cf snippet is loaded into a private Postfix with `postconf -c -e`
/// and must pass `postfix check`; each relayguard.conf snippet must pass `relayguard check-config`; the chroot
/// gateway snippet is run end to end with the milter on a unix socket laid out as the Debian package does.
@Suite("postfix-examples")
struct PostfixExamplesTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("postfix-examples")

    /// `key = value` lines of a main.cf-style snippet, continuation lines joined, comments dropped.
    static func parameters(of name: String) throws -> [(key: String, value: String)] {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        var result: [(key: String, value: String)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
            if line.first?.isWhitespace == true, let last = result.popLast() {
                result.append((last.key, last.value + " " + line.trimmingCharacters(in: .whitespaces)))
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw HarnessError("\(name): not key = value: \(line)") }
            result.append((parts[0].trimmingCharacters(in: .whitespaces), parts[1].trimmingCharacters(in: .whitespaces)))
        }
        return result
    }

    @Test("main.cf snippet passes postfix check", arguments: ["gateway-unix-socket.cf", "gateway-inet.cf", "gateway-policy-unix.cf"])
    func mainCFSnippet(_ name: String) async throws {
        let snippet = try Self.parameters(of: name)
        #expect(snippet.contains { $0.key == "smtpd_milters" || $0.value.hasPrefix("check_policy_service ") })
        let postconf = try RequiredTool.postconf.path()
        try await withPostfix { postfix in
            for (key, value) in snippet {
                let set = try await runCommand(postconf, ["-c", postfix.configDirectory, "-e", "\(key) = \(value)"])
                #expect(set.exitCode == 0 && set.stderr.isEmpty, "\(set.summary)")
            }
            for (key, value) in snippet {
                let shown = try await runCommand(postconf, ["-c", postfix.configDirectory, "-h", key])
                #expect(shown.stdout.trimmingCharacters(in: .newlines) == value, "\(key): \(shown.summary)")
            }
            let check = try await runCommand(try RequiredTool.postfix.path(), ["-c", postfix.configDirectory, "check"])
            #expect(check.exitCode == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.summary)")
        }
    }

    @Test("relayguard.conf snippet passes check-config", arguments: ["site-connector.conf", "report-mode.conf", "enforce.conf"])
    func relayGuardSnippet(_ name: String) async throws {
        let path = Self.directory.appendingPathComponent(name).path
        let check = try await runCommand(try RelayGuardProcess.binaryPath(), ["check-config", "--config", path])
        #expect(check.exitCode == 0, "\(check.summary)")
        // Report mode is meant to warn that nothing is rejected; nothing else may.
        let warnings = check.stderr.split(separator: "\n").filter { !$0.contains("warning: mode = report") }
        #expect(warnings.isEmpty, "warnings: \(check.summary)")
    }

    @Test("gateway-unix-socket.cf end to end: the IMCEA recipient is rejected over the chroot-relative socket")
    func gatewayUnixSocket() async throws {
        // The snippet as is, except the next hop: the test's sink instead of the Exchange server.
        var parameters = Dictionary(try Self.parameters(of: "gateway-unix-socket.cf").map { ($0.key, $0.value) }) { $1 }
        parameters["relay_transport"] = nil
        #expect(parameters["smtpd_milters"] == "unix:relayguard/relayguard.sock")
        try await withPostfix(PostfixOptions(parameters: parameters)) { postfix in
            // A socket directory inside this instance's queue directory (smtpd resolves the relative path there).
            // The package runs RelayGuard as relayguard and puts postfix in group relayguard; here the milter runs
            // as nobody, who owns the directory and creates the socket there, and the directory is set-group-ID
            // postfix, which makes the 0660 socket group postfix.
            let socketDirectory = postfix.queueDirectory + "/relayguard"
            try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.ownerAccountName: "nobody", .groupOwnerAccountName: "postfix"], ofItemAtPath: socketDirectory)
            // After the chown: chown clears the set-group-ID bit.
            try FileManager.default.setAttributes([.posixPermissions: 0o2750], ofItemAtPath: socketDirectory)
            let socketPath = socketDirectory + "/relayguard.sock"
            let config = try TemporaryDirectory(prefix: "relayguard-examples")
            defer { config.remove() }
            let configPath = try config.write("socket = unix:\(socketPath)\nuser = nobody\n", to: "relayguard.conf")
            let milter = try ChildProcess(try RelayGuardProcess.binaryPath(), ["run", "--config", configPath])
            do {
                try await waitUntil("relayguard to create \(socketPath)") {
                    guard milter.isRunning else { throw HarnessError("relayguard exited\n\(milter.output())") }
                    return FileManager.default.fileExists(atPath: socketPath)
                }
                let result = try await Swaks.send(
                    to: postfix, from: "examples@outside.example", recipients: [Recipients.imcea, Recipients.alice],
                    client: Clients.outside)
                let refused = try #require(result.reply(for: Recipients.imcea), "\(result.output.stdout)")
                #expect(refused.code == 550, "\(refused)\n\(milter.output())\n\(postfix.maillog())")
                #expect(refused.enhancedCode == "5.7.1", "\(refused)")
                #expect(result.reply(for: Recipients.alice)?.code == 250, "\(result.output.stdout)")
                try await postfix.waitForQueueToDrain()
                #expect(try postfix.sink.recipients() == [Recipients.alice], "\(postfix.maillog())")
                #expect(milter.output().contains("rule=reroute-disabled"), "\(milter.output())")
            } catch {
                await milter.stop()
                milter.discardOutputFiles()
                throw error
            }
            await milter.stop()
            milter.discardOutputFiles()
        }
    }

    @Test("gateway-policy-unix.cf end to end: relayguard run's policy socket, chroot-relative, refuses the IMCEA recipient")
    func gatewayPolicyUnix() async throws {
        var parameters = Dictionary(try Self.parameters(of: "gateway-policy-unix.cf").map { ($0.key, $0.value) }) { $1 }
        parameters["relay_transport"] = nil
        #expect(parameters["smtpd_relay_restrictions"]?.hasPrefix("check_policy_service unix:relayguard/policy.sock,") == true)
        #expect(parameters["smtpd_policy_service_default_action"] == "451 4.3.5 Server configuration problem")
        // The package's relayguard.conf names the socket the snippet asks for.
        let packaged = try String(contentsOf: Self.directory.deletingLastPathComponent()
            .appendingPathComponent("packaging/relayguard.conf"), encoding: .utf8)
        #expect(packaged.split(separator: "\n").contains("policy_socket = unix:/var/spool/postfix/relayguard/policy.sock"))
        try await withPostfix(PostfixOptions(parameters: parameters)) { postfix in
            // The package's layout inside this instance's queue directory, as in gatewayUnixSocket; the policy
            // socket alone (socket = none).
            let socketDirectory = postfix.queueDirectory + "/relayguard"
            try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.ownerAccountName: "nobody", .groupOwnerAccountName: "postfix"], ofItemAtPath: socketDirectory)
            try FileManager.default.setAttributes([.posixPermissions: 0o2750], ofItemAtPath: socketDirectory)
            let socketPath = socketDirectory + "/policy.sock"
            let config = try TemporaryDirectory(prefix: "relayguard-examples")
            defer { config.remove() }
            let configPath = try config.write("socket = none\npolicy_socket = unix:\(socketPath)\nuser = nobody\n", to: "relayguard.conf")
            let relayguard = try ChildProcess(try RelayGuardProcess.binaryPath(), ["run", "--config", configPath])
            do {
                try await waitUntil("relayguard to serve \(socketPath)") {
                    guard relayguard.isRunning else { throw HarnessError("relayguard exited\n\(relayguard.output())") }
                    return relayguard.capturedOutput().stderr.contains("policy service listening on unix:\(socketPath) ")
                }
                let check = try await postfix.check()
                #expect(check.exitCode == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.summary)")
                let result = try await Swaks.send(
                    to: postfix, from: "examples@outside.example", recipients: [Recipients.imcea, Recipients.alice],
                    client: Clients.outside)
                let refused = try #require(result.reply(for: Recipients.imcea), "\(result.output.stdout)")
                #expect(refused.code == 550 && refused.enhancedCode == "5.7.1", "\(refused)\n\(postfix.maillog())")
                #expect(refused.text.hasSuffix("Recipient address rejected: encapsulated or routed address rejected: "
                        + "rerouting is not allowed"), "\(refused)")
                #expect(result.reply(for: Recipients.alice)?.code == 250, "\(result.output.stdout)")
                try await postfix.waitForQueueToDrain()
                #expect(try postfix.sink.recipients() == [Recipients.alice], "\(postfix.maillog())")
                #expect(relayguard.output().contains("rule=reroute-disabled"), "\(relayguard.output())")
            } catch {
                await relayguard.stop()
                relayguard.discardOutputFiles()
                throw error
            }
            await relayguard.stop()
            relayguard.discardOutputFiles()
        }
    }

    /// The master.cf service of a snippet, continuation lines joined, comments dropped.
    static func masterService(of name: String) throws -> String {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    @Test("gateway-policy-spawn.cf end to end: postfix check is clean, the spawned policy service refuses the IMCEA recipient")
    func gatewayPolicySpawn() async throws {
        // The snippets as they are, except the next hop (the test's sink), the account (nobody: the package's
        // relayguard user may not exist here) and the binary and config paths.
        var parameters = Dictionary(try Self.parameters(of: "gateway-policy-spawn.cf").map { ($0.key, $0.value) }) { $1 }
        parameters["relay_transport"] = nil
        #expect(parameters["smtpd_relay_restrictions"]?.hasPrefix("check_policy_service unix:private/relayguard,") == true)
        let service = try Self.masterService(of: "gateway-policy-spawn.master.cf")
        #expect(service.hasSuffix(" spawn user=relayguard argv=/usr/sbin/relayguard policy"), "\(service)")
        let config = try TemporaryDirectory(prefix: "relayguard-examples")
        defer { config.remove() }
        let configPath = try config.write("", to: "relayguard.conf")
        let master = service.replacingOccurrences(of: "user=relayguard", with: "user=nobody")
            .replacingOccurrences(of: "argv=/usr/sbin/relayguard policy",
                                  with: "argv=\(try RelayGuardProcess.binaryPath()) policy --config \(configPath)")
        try await withPostfix(PostfixOptions(parameters: parameters, extraMasterCF: [master])) { postfix in
            let check = try await postfix.check()
            #expect(check.exitCode == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.summary)")
            let result = try await Swaks.send(
                to: postfix, from: "examples@outside.example", recipients: [Recipients.imcea, Recipients.alice],
                client: Clients.outside)
            let refused = try #require(result.reply(for: Recipients.imcea), "\(result.output.stdout)")
            #expect(refused.code == 550, "\(refused)\n\(postfix.maillog())")
            #expect(refused.text.hasSuffix("encapsulated or routed address rejected: rerouting is not allowed"), "\(refused)")
            #expect(result.reply(for: Recipients.alice)?.code == 250, "\(result.output.stdout)")
            try await postfix.waitForQueueToDrain()
            #expect(try postfix.sink.recipients() == [Recipients.alice], "\(postfix.maillog())")
        }
    }
}
