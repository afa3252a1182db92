import Foundation
import Testing

@Suite("Fault: resource exhaustion")
struct FaultResourceTests {
    /// One milter session from 192.0.2.10 with the IMCEA recipient: its reply and the logged policy generation.
    static func probe(_ milter: RelayGuardProcess) async throws -> (reply: String?, policy: String?) {
        let mark = milter.logMark()
        let replies = try await BlockingWork.run {
            try FaultMilterClient(port: milter.port).transaction(
                clientIP: FaultReloadTests.probeClient, recipients: ["<\(FaultGateway.mustDeny)>"])
        }
        let decision = try await milter.waitForLogLine(since: mark, what: "the probe's decision") {
            MilterDecisionLine($0)?["client"] == FaultReloadTests.probeClient
        }.line
        return (replies.first, MilterDecisionLine(decision)?["policy"])
    }

    @Test("an included file that is unreadable, vanished or a directory at reload: file:line error, policy stays")
    func unreadableIncludeAtReload() async throws {
        let breakages: [(name: String, apply: @Sendable (String) throws -> Void)] = [
            // relayguard runs as nobody after start, so mode 000 does keep it out (root would ignore the mode).
            ("mode 000", { try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: $0) }),
            ("vanished", { try FileManager.default.removeItem(atPath: $0) }),
            ("a directory", { path in
                try FileManager.default.removeItem(atPath: path)
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            }),
        ]
        try await withRelayGuard { milter in
            let clients = milter.scratchPath("relay-clients.txt")
            func restore() throws {
                try? FileManager.default.removeItem(atPath: clients)
                try "# relay peers\n192.0.2.0/24\n".write(toFile: clients, atomically: false, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: clients)
            }
            try restore()
            // Line 4: after socket and user.
            try milter.rewriteConfig(["reroute = yes", "relay_clients = file:\(clients)"])
            var generation = 0
            let first = try await FaultReloadTests.reload(milter).line
            generation += 1
            try #require(first.contains("loaded, policy=\(generation)"), "\(first)")
            let start = try await Self.probe(milter)
            #expect(start.reply == "continue" && start.policy == "\(generation)", "\(start)")

            for breakage in breakages {
                try breakage.apply(clients)
                let (line, diagnostics) = try await FaultReloadTests.reload(milter)
                #expect(line.contains("reload failed: keeping the running policy (policy=\(generation))"),
                        "\(breakage.name): \(line)")
                let errors = diagnostics.filter { $0.contains("\(milter.configPath):4: ") }
                #expect(errors.count == 1 && errors.first?.contains(clients) == true,
                        "\(breakage.name): \(errors)\n\(milter.log().suffix(1500))")
                print("RELIABILITY resource: \(breakage.name): \(errors.first.map { $0.split(separator: "error: ", maxSplits: 1).last ?? $0 } ?? "-")")
                // The running policy still lets 192.0.2.10 reroute.
                let kept = try await Self.probe(milter)
                #expect(kept.reply == "continue" && kept.policy == "\(generation)", "\(breakage.name): \(kept)")

                try restore()
                let back = try await FaultReloadTests.reload(milter).line
                generation += 1
                #expect(back.contains("loaded, policy=\(generation)"), "\(breakage.name): \(back)")
            }
            reportFigures("resource-include", [
                "reloads": "\(1 + 2 * breakages.count)",
                "failed_as_expected": "\(breakages.count)",
                "policy_kept": "yes",
            ])
        }
    }

    @Test("a unix socket path that exists as a regular file or directory: start refused, clear message, path untouched",
          arguments: ["regular file", "directory"])
    func socketPathTaken(kind: String) async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-e2e-fault-socket")
        defer { directory.remove() }
        let socketPath = directory.path + "/relayguard.sock"
        if kind == "directory" {
            try FileManager.default.createDirectory(atPath: socketPath, withIntermediateDirectories: false)
            _ = try directory.write("keep me\n", to: "relayguard.sock/inside")
        } else {
            _ = try directory.write("keep me\n", to: "relayguard.sock")
        }
        let config = try directory.write("socket = unix:\(socketPath)\nuser = nobody\n", to: "relayguard.conf")

        let result = try await runCommand(try RelayGuardProcess.binaryPath(), ["run", "--config", config],
                                          timeout: .seconds(20))

        #expect(result.exitCode != 0, "\(result.summary)")
        #expect(result.stderr.contains("\(socketPath) exists and is a \(kind)"), "\(result.summary)")
        let contentPath = kind == "directory" ? socketPath + "/inside" : socketPath
        #expect((try? String(contentsOfFile: contentPath, encoding: .utf8)) == "keep me\n")
        print("RELIABILITY resource: socket path is a \(kind): exit \(result.exitCode): \(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    @Test("a unix socket in a world-writable directory: start refused with a clear message")
    func socketDirectoryWorldWritable() async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-e2e-fault-socketdir")
        defer { directory.remove() }
        let socketDirectory = directory.path + "/open"
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o1777])
        let config = try directory.write("socket = unix:\(socketDirectory)/relayguard.sock\nuser = nobody\n", to: "relayguard.conf")

        let result = try await runCommand(try RelayGuardProcess.binaryPath(), ["run", "--config", config],
                                          timeout: .seconds(20))

        #expect(result.exitCode == 71, "\(result.summary)")
        #expect(result.stderr.contains("socket directory \(socketDirectory) is world-writable (mode 1777)"), "\(result.summary)")
        #expect(!FileManager.default.fileExists(atPath: socketDirectory + "/relayguard.sock"))
    }

    @Test("stderr on a full disk (/dev/full): decisions go on, log lines are dropped, SIGTERM still exits 0")
    func logToFullDisk() async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-e2e-fault-full")
        defer { directory.remove() }
        let port = try FreePort.allocate()
        let config = try directory.write("socket = inet:\(port)@127.0.0.1\nuser = nobody\n", to: "relayguard.conf")
        let process = try ChildProcess(try RelayGuardProcess.binaryPath(), ["run", "--config", config], outputFile: "/dev/full")
        defer { process.kill() }
        try await FreePort.waitUntilListening(port, what: "relayguard with stderr on /dev/full",
                                              whileAlive: { process.isRunning })

        let milter = PostfixOptions.Milter(port: port, defaultAction: "tempfail")
        try await withPostfix(PostfixOptions(milter: milter)) { postfix in
            let result = try await Swaks.send(to: postfix, recipients: [FaultGateway.mustDeny, FaultGateway.allowed],
                                              client: Clients.outside)
            #expect(result.reply(for: FaultGateway.mustDeny)?.code == 550, "\(result.output.stdout)")
            #expect(result.reply(for: FaultGateway.allowed)?.code == 250, "\(result.output.stdout)")
            try await postfix.waitForQueueToDrain()
            #expect(try postfix.sink.recipients() == [FaultGateway.allowed])
        }
        #expect(process.isRunning, "relayguard died writing to a full stderr (status \(process.exitCode))")
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("relayguard to exit after SIGTERM", timeout: .seconds(10)) { !process.isRunning }
        #expect(process.exitCode == 0 && process.terminationSignal == nil)
        reportFigures("resource-full-disk", ["decisions_answered": "2", "exit_status": "\(process.exitCode)"])
    }
}
