import Foundation
import Testing
import RelayGuardTestSupport

/// `relayguard run` with `policy_socket`: the socket bound as the service account, served beside the milter or
/// alone (`socket = none`), reloaded between two requests of one connection, stopped by SIGTERM.
@Suite("relayguard run: policy_socket")
struct PolicySocketRunTests {
    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"
    static let reject = "550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed"

    /// A run in its own directory: `socket` (an inet port or none), the policy socket in a directory `nobody` owns.
    struct Run {
        let directory: TemporaryDirectory
        let config: String
        let policyPath: String
        let child: ChildProcess

        init(milterPort: UInt16?, settings: [String] = []) throws {
            directory = try TemporaryDirectory(prefix: "relayguard-policy-run")
            let sockets = try directory.subdirectory("sockets", owner: "nobody")
            policyPath = sockets + "/policy.sock"
            let lines = ["socket = \(milterPort.map { "inet:\($0)@127.0.0.1" } ?? "none")", "user = nobody",
                         "policy_socket = unix:\(policyPath)"] + settings
            config = try directory.write(lines.joined(separator: "\n") + "\n", to: "relayguard.conf")
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)
            child = try ChildProcess(try RelayGuardProcess.binaryPath(), ["run", "--config", config])
        }

        func rewrite(_ settings: [String], milterPort: UInt16?) throws {
            let lines = ["socket = \(milterPort.map { "inet:\($0)@127.0.0.1" } ?? "none")", "user = nobody",
                         "policy_socket = unix:\(policyPath)"] + settings
            let temporary = config + ".new"
            try (lines.joined(separator: "\n") + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: temporary)
            guard rename(temporary, config) == 0 else { throw HarnessError("rename: errno \(errno)") }
        }

        func waitForLog(_ text: String) async throws {
            try await waitUntil("relayguard to log \"\(text)\"\n\(child.output())") {
                guard child.isRunning || child.capturedOutput().stderr.contains(text) else {
                    throw HarnessError("relayguard exited\n\(child.output())")
                }
                return child.capturedOutput().stderr.contains(text)
            }
        }

        func finish() async {
            await child.stop(grace: .seconds(3))
            child.discardOutputFiles()
            directory.remove()
        }
    }

    @Test("beside the milter: the policy socket is nobody's with socket_mode, answers, and a reload reaches the next request of an open connection")
    func besideMilter() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let milterPort = try FreePort.allocate()
        let run = try Run(milterPort: milterPort)
        do {
            try await run.waitForLog("policy service listening on unix:\(run.policyPath) policy_max_connections=1000 policy_timeout=330s")
            try await run.waitForLog("listening on inet:\(milterPort)@127.0.0.1 ")
            var status = stat()
            #expect(lstat(run.policyPath, &status) == 0)
            let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
            #expect(status.st_uid == nobody && status.st_mode & 0o777 == 0o660, "uid \(status.st_uid) mode \(String(status.st_mode, radix: 8))")

            // A read blocks until relayguard answers: each runs on a thread of its own, not the test runner's.
            let client = try PolicyClient(path: run.policyPath)
            let request = PolicyClient.request(Self.imcea, client: "192.0.2.10")
            #expect(try await BlockingWork.run { try client.ask(request) } == Self.reject)
            // The milter still answers on its own socket.
            let replies = try await BlockingWork.run {
                let milter = try FaultMilterClient(port: milterPort, timeout: 30)
                defer { milter.quit() }
                return try milter.transaction(clientIP: "203.0.113.9", recipients: ["<\(Self.imcea)>"])
            }
            #expect(replies.count == 1 && replies[0].hasPrefix("550 5.7.1"), "\(replies)")

            try run.rewrite(["reroute = yes", "relay_clients = 192.0.2.0/24"], milterPort: milterPort)
            kill(run.child.processIdentifier, SIGHUP)
            try await run.waitForLog("reload: \(run.config) loaded, policy=1")
            #expect(try await BlockingWork.run { try client.ask(request) } == "DUNNO", "\(run.child.output())")
            let policies = run.child.capturedOutput().stderr.split(separator: "\n")
                .filter { $0.contains("frontend=policy") && $0.contains(" verdict=") }
                .compactMap { $0.split(separator: " ").first { $0.hasPrefix("policy=") } }
            #expect(policies == ["policy=0", "policy=1"], "\(run.child.output())")

            kill(run.child.processIdentifier, SIGTERM)
            #expect(try await run.child.waitForExit(timeout: .seconds(20)))
            #expect(run.child.exitCode == 0, "\(run.child.output())")
            #expect(try await BlockingWork.run { try client.answer() } == nil)
        } catch {
            print(run.child.output())
            await run.finish()
            throw error
        }
        await run.finish()
    }

    @Test("socket = none: the policy socket alone, counted in the metrics; SIGTERM lets a half-sent request be answered, then exits 0")
    func policyAlone() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let metricsPort = try FreePort.allocate()
        let run = try Run(milterPort: nil, settings: ["metrics_listen = inet:\(metricsPort)@127.0.0.1"])
        do {
            try await run.waitForLog("serving the policy socket alone (socket = none)")
            #expect(!run.child.capturedOutput().stderr.contains("listening on inet:"))
            // As in besideMilter, each read on a thread of its own.
            let client = try PolicyClient(path: run.policyPath)
            #expect(try await BlockingWork.run { try client.ask(PolicyClient.request(Self.imcea)) } == Self.reject)
            let bad = try PolicyClient(path: run.policyPath)
            #expect(try await BlockingWork.run { try bad.ask("request=smtpd_access_policy\nno equals sign\n\n") }
                    == "451 4.3.0 relay policy temporarily unavailable, try again later")
            // A malformed request is answered, then its connection closed (smtpd never sends one).
            #expect(try await BlockingWork.run { try bad.answer() } == nil)
            let exposition = try await MetricsTests.scrape(metricsPort)
            for (series, value) in [(#"relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}"#, 1.0),
                                    ("relayguard_policy_connections_total", 2), ("relayguard_policy_connections", 1),
                                    ("relayguard_policy_requests_total", 2), ("relayguard_policy_bad_requests_total", 1),
                                    ("relayguard_policy_connections_refused_total", 0), ("relayguard_sessions_total", 0)] {
                #expect(MetricsTests.value(exposition, series) == value, "\(series)\n\(exposition)")
            }

            // Half a request in flight when SIGTERM arrives: it is answered, then the connection closes. It goes in one
            // write with a whole request, so the answer to that one shows the half was read too.
            let request = Array(PolicyClient.request(Self.imcea).utf8)
            let first = Array(PolicyClient.request("alice@corp.example").utf8) + request.prefix(30)
            _ = first.withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            #expect(try await BlockingWork.run { try client.answer() } == "DUNNO")
            kill(run.child.processIdentifier, SIGTERM)
            // On a thread of its own: the rest must go out within the 5 s relayguard gives a request in progress,
            // and a busy test run can hold the runner's threads longer than that.
            let child = run.child
            let answers = try await BlockingWork.run { () -> [String?] in
                let stopping = "stopping on SIGTERM: requests in progress are answered"
                let deadline = Date() + 20
                while !child.capturedOutput().stderr.contains(stopping) {
                    guard child.isRunning, Date() < deadline else { throw HarnessError("relayguard never logged \"\(stopping)\"") }
                    usleep(10_000)
                }
                _ = request.dropFirst(30).withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                return [try client.answer(), try client.answer()]
            }
            #expect(answers == [Self.reject, nil])
            #expect(try await run.child.waitForExit(timeout: .seconds(20)))
            #expect(run.child.exitCode == 0, "\(run.child.output())")
            #expect(run.child.capturedOutput().stderr.contains("relayguard stopped"))
        } catch {
            print(run.child.output())
            await run.finish()
            throw error
        }
        await run.finish()
    }

    @Test("socket = none without policy_socket is a config error naming the line")
    func noneNeedsPolicySocket() async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-policy-none")
        defer { directory.remove() }
        let path = try directory.write("socket = none\n", to: "relayguard.conf")
        let check = try await runCommand(try RelayGuardProcess.binaryPath(), ["check-config", "--config", path])
        #expect(check.exitCode == 78, "\(check.summary)")
        #expect(check.stderr.contains("relayguard.conf:1: socket = none needs policy_socket"), "\(check.summary)")
    }
}
