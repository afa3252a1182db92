import Foundation
import Testing

// The benchmark tools keep building and working (scripts/bench runs them for minutes; these runs take seconds):
// relayguard-milter-load against `relayguard run` and the two C milter baselines compiled with gcc against libmilter;
// relayguard-policy-load against `relayguard policy` and the C policy server. They check answers, never speed.

@Suite("Benchmark smoke runs")
struct BenchmarkSmokeTests {
    /// The benchmark policy, as scripts/bench configures RelayGuard (and Baselines/same-logic.c hard-codes).
    static let benchmarkPolicy = [
        "reroute = yes", "relay_clients = 192.0.2.0/24, 2001:db8::/32", "local_domains = corp.example .corp.example",
    ]

    /// Rejects the benchmark policy must give over the first `sessions` sessions, derived here independently of the
    /// generator: session n comes from client n % 4 (0 and 3 outside relay_clients) and sends 4 recipients from the
    /// 8-entry mix starting at (3n) % 8, of which entries 1, 3, 5 and 6 (IMCEA SMTP, percent hack, bang path,
    /// remote domain) are denied outside.
    static func expectedRejects(sessions: Int) -> Int {
        let deniedOutside: Set = [1, 3, 5, 6]
        return (0..<sessions).reduce(0) { total, n in
            guard n % 4 == 0 || n % 4 == 3 else { return total }
            return total + (0..<4).filter { deniedOutside.contains((n * 3 + $0) % 8) }.count
        }
    }

    @Test("200 sessions against relayguard run: all complete, the expected rejects, no unexpected verdict")
    func loadGeneratorAgainstRelayGuard() async throws {
        try await withRelayGuard(Self.benchmarkPolicy) { milter in
            let result = try await Self.generate(port: milter.port, sessions: 200, concurrency: 4, check: true)
            #expect(result["sessions"] == "200")
            #expect(result["errors"] == "0")
            #expect(result["rejects"] == "\(Self.expectedRejects(sessions: 200))")
            #expect(result["mismatches"] == "0")
        }
    }

    @Test("the C same-logic baseline builds with gcc and decides like RelayGuard")
    func sameLogicBaseline() async throws {
        let (result, _) = try await Self.withBaseline("same-logic") { port in
            try await Self.generate(port: port, sessions: 8, concurrency: 1, check: true)
        }
        #expect(result["rejects"] == "\(Self.expectedRejects(sessions: 8))")
        #expect(result["mismatches"] == "0")
    }

    @Test("built with -DLOG_DECISIONS (scripts/bench's same-logic-log), it decides the same and logs every recipient")
    func sameLogicLogBaseline() async throws {
        let (result, stderr) = try await Self.withBaseline("same-logic", defines: ["-DLOG_DECISIONS"]) { port in
            try await Self.generate(port: port, sessions: 8, concurrency: 1, check: true)
        }
        #expect(result["rejects"] == "\(Self.expectedRejects(sessions: 8))")
        #expect(result["mismatches"] == "0")
        let decisions = stderr.split(separator: "\n").filter { $0.contains("]: info: ") }
        #expect(decisions.count == Int(result["recipients"] ?? "") && !decisions.isEmpty, "\(stderr)")
        #expect(decisions.filter { $0.contains(" verdict=reject reply=\"550 ") }.count == Int(result["rejects"] ?? ""), "\(stderr)")
    }

    @Test("the C continue baseline builds with gcc and answers continue")
    func continueBaseline() async throws {
        let (result, _) = try await Self.withBaseline("continue") { port in
            try await Self.generate(port: port, sessions: 4, concurrency: 1, check: false)
        }
        #expect(result["sessions"] == "4")
        #expect(result["errors"] == "0")
        #expect(result["rejects"] == "0")
    }

    /// Requests the benchmark policy must refuse over the first `requests` requests of relayguard-policy-load (streams
    /// of 4): its streams follow the milter generator's sessions (client n % 4, recipients from (3n) % 8), so this is
    /// `expectedRejects` over as many sessions as there are streams.
    static func expectedRefusals(requests: Int) -> Int { expectedRejects(sessions: requests / 4) }

    @Test("relayguard-policy-load against relayguard policy (spawned per connection): DUNNO and refusals as the policy decides")
    func policyLoadAgainstSpawnedService() async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-policy-load")
        defer { directory.remove() }
        let config = try directory.write((Self.benchmarkPolicy + ["log_level = notice"]).joined(separator: "\n") + "\n", to: "relayguard.conf")
        let result = try await Self.generatePolicy(
            ["--requests", "400", "--concurrency", "4", "--spawn", try RelayGuardProcess.binaryPath(), "policy", "--config", config])
        Self.expectBenchmarkAnswers(result, requests: 400)
    }

    @Test("relayguard-policy-load against the policy_socket listener of relayguard run: DUNNO and refusals as the policy decides")
    func policyLoadAgainstListener() async throws {
        let port = try FreePort.allocate()
        try await withRelayGuard(Self.benchmarkPolicy + ["policy_socket = inet:\(port)@127.0.0.1"]) { relayguard in
            try await FreePort.waitUntilListening(port, what: "relayguard policy_socket", whileAlive: { relayguard.isRunning })
            let result = try await Self.generatePolicy(["--port", "\(port)", "--requests", "400", "--concurrency", "8"])
            Self.expectBenchmarkAnswers(result, requests: 400)
        }
    }

    @Test("the C policy server builds with gcc and answers like RelayGuard, several requests per connection")
    func policySameLogicBaseline() async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-policy-baseline")
        defer { directory.remove() }
        let binary = directory.path + "/policy-same-logic"
        let compile = try await runCommand(
            "/usr/bin/gcc",
            ["-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-o", binary,
             Self.root.path + "/Benchmarks/Baselines/policy-same-logic.c"],
            timeout: .seconds(60)
        )
        guard compile.exitCode == 0 else { throw HarnessError("gcc failed for policy-same-logic.c:\n\(compile.summary)") }
        let socket = directory.path + "/policy.sock"
        let child = try ChildProcess(binary, ["unix:" + socket])
        defer { child.discardOutputFiles() }
        do {
            try await waitUntil("policy-same-logic to listen on \(socket)") { FileManager.default.fileExists(atPath: socket) || !child.isRunning }
            let result = try await Self.generatePolicy(["--unix", socket, "--requests", "400", "--concurrency", "4"])
            Self.expectBenchmarkAnswers(result, requests: 400)
            await child.stop(grace: .milliseconds(300))
        } catch {
            await child.stop(grace: .milliseconds(300))
            throw HarnessError("\(error)\npolicy-same-logic output:\n\(child.output())")
        }
    }

    /// The generator's counts for `requests` requests of the benchmark mix: all answered, each DUNNO or refused as
    /// `expectedRefusals` says (derived here, not taken from the generator), nothing deferred or unreadable.
    static func expectBenchmarkAnswers(_ result: [String: String], requests: Int) {
        let refusals = expectedRefusals(requests: requests)
        #expect(refusals > 0 && refusals < requests)
        #expect(result["requests"] == "\(requests)")
        #expect(result["errors"] == "0")
        #expect(result["reject"] == "\(refusals)")
        #expect(result["dunno"] == "\(requests - refusals)")
        #expect(result["defer"] == "0")
        #expect(result["other"] == "0")
        #expect(result["mismatches"] == "0")
    }

    @Test("report.sh renders BENCHMARKS.md from scripts/bench's measurements, ratios and verdicts included")
    func report() async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-report")
        defer { directory.remove() }
        // Lines as scripts/bench records them: section label key value.
        try """
            proto-1-1 relayguard sessions_per_s 1000
            proto-1-1 same-logic-log sessions_per_s 1100
            proto-1-1 relayguard rcpt_p99_us 130
            proto-1-1 same-logic-log rcpt_p99_us 100
            pol-1-1 relayguard requests_per_s 9500
            pol-1-1 policy-same-logic-log requests_per_s 10000
            pol-1-1 relayguard p99_us 110
            pol-1-1 policy-same-logic-log p99_us 100
            pol-1-1 relayguard-quiet requests_per_s 8000
            pol-1-1 policy-same-logic requests_per_s 10000
            pol-1-1 relayguard-quiet p99_us 100
            pol-1-1 policy-same-logic p99_us 100
            pol-1-1 relayguard-inet requests_per_s 9000
            pol-1-1 postfwd requests_per_s 400
            pol-1-1 postfwd p99_us 4000
            pol-1-1 postfwd mismatches 2
            e2e-1 none msgs_per_s 400
            e2e-1 pcre msgs_per_s 380
            e2e-1 policy-unix msgs_per_s 372
            e2e-1 policy-inet msgs_per_s 360
            e2e-1 postfwd msgs_per_s 300
            e2e-1 policy-same-logic msgs_per_s 376
            e2e-1 relayguard msgs_per_s 280
            e2e-1 same-logic-log msgs_per_s 280
            e2e-1 same-logic msgs_per_s 290
            e2e-1 continue msgs_per_s 290
            audit log bytes 1073741824
            audit log lines 7000000
            audit relayguard mb_s 150.0
            audit relayguard rss_kb 20480
            audit grep mb_s 1500.0
            audit relayguard mb_s 170.0
            audit relayguard rss_kb 21504
            audit grep mb_s 1700.0
            audit relayguard deliveries 1200
            probe probe-none seconds 0.400
            probe probe-none tests 26
            probe probe-none accepted 11
            probe probe-relayguard seconds 0.520
            probe probe-relayguard tests 26
            probe probe-relayguard accepted 0

            """.write(toFile: directory.path + "/results", atomically: true, encoding: .utf8)
        try "| policy table |\n".write(toFile: directory.path + "/policy.md", atomically: true, encoding: .utf8)
        let result = try await runCommand(
            "/bin/bash",
            [Self.root.path + "/Benchmarks/report.sh", directory.path + "/results", directory.path + "/policy.md",
             "1", "10", "10", "5", "1"],
            timeout: .seconds(60)
        )
        #expect(result.exitCode == 0, "\(result.summary)")
        for heading in ["## Milter protocol", "## Policy protocol", "## End to end", "## Scale", "## Probe", "## Audit", "## Policy"] {
            #expect(result.stdout.contains("\n" + heading), "\(heading)")
        }
        #expect(result.stdout.contains("| 1 | 1000 | 1100 | 0.91x met | 130 | 100 | 1.30x **missed** |"), "\(result.stdout)")
        #expect(result.stdout.contains("| 1 | 9500 | 10000 | 0.95x met | 110 | 100 | 1.10x met | 8000 | 10000 | 0.80x **missed** | 100 | 100 | 1.00x met | 9000 | 400 | 24x met (inet 22x) | 4000 |"), "\(result.stdout)")
        #expect(result.stdout.contains("ahead of postfwd everywhere): **missed**: quiet throughput 0.80x C at 1."), "\(result.stdout)")
        #expect(result.stdout.contains("| 1 | postfwd | 400 | 0 / 4000 / 0 | - | - | 2 |"), "\(result.stdout)")
        #expect(result.stdout.contains("| RelayGuard policy service, unix socket | 372 | 0.930x | 0.979x | 0.989x | 1.329x | 1.283x |"), "\(result.stdout)")
        #expect(result.stdout.contains("on a unix socket 0.979x pcre (met) and 0.930x Postfix alone (met); on inet 0.947x pcre (**missed**) and 0.900x Postfix alone (**missed**)"), "\(result.stdout)")
        #expect(result.stdout.contains("| policy table |"))
        #expect(result.stdout.contains("| relayguard audit --json | 160 | 21.0 |"), "\(result.stdout)")
        #expect(result.stdout.contains("| Postfix + RelayGuard | 26 | 0 | 0.520 | 50 |"), "\(result.stdout)")
        #expect(result.stdout.contains("at least 100 MB/s on one core (met, 0.10x grep), peak RSS under 100 MB on a 1 GB log (met)"), "\(result.stdout)")
    }

    /// The package's top directory, where Benchmarks/ lives.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs the generator and returns its `RESULT key=value ...` line as a dictionary.
    static func generate(port: UInt16, sessions: Int, concurrency: Int, check: Bool) async throws -> [String: String] {
        let arguments = ["--port", "\(port)", "--sessions", "\(sessions)", "--concurrency", "\(concurrency)"]
        let result = try await runCommand(try generatorPath(), arguments + (check ? ["--check"] : []), timeout: .seconds(60))
        guard result.exitCode == 0,
              let line = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") })
        else { throw HarnessError("relayguard-milter-load failed:\n\(result.summary)") }
        return Dictionary(line.split(separator: " ").dropFirst().map { field in
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }, uniquingKeysWith: { $1 })
    }

    /// Runs relayguard-policy-load with `arguments` (`--check` added) and returns its `RESULT` line as a dictionary.
    static func generatePolicy(_ arguments: [String]) async throws -> [String: String] {
        // --spawn takes the rest of the command line.
        let split = arguments.firstIndex(of: "--spawn") ?? arguments.endIndex
        let result = try await runCommand(
            try generatorPath("relayguard-policy-load"), Array(arguments[..<split]) + ["--check"] + arguments[split...],
            timeout: .seconds(120))
        guard let line = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw HarnessError("relayguard-policy-load printed no RESULT line:\n\(result.summary)")
        }
        #expect(result.exitCode == 0, "\(result.summary)")
        return Dictionary(line.split(separator: " ").dropFirst().map { field in
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }, uniquingKeysWith: { $1 })
    }

    /// The generators are built next to `relayguard` (EndToEndTests depends on the three products).
    static func generatorPath(_ name: String = "relayguard-milter-load") throws -> String {
        let directory = URL(fileURLWithPath: try RelayGuardProcess.binaryPath()).deletingLastPathComponent()
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("\(name) not found at \(path); build it with `swift build --product \(name)`")
        }
        return path
    }

    /// Compiles `Benchmarks/Baselines/<name>.c` with gcc as scripts/bench does, runs it on a free port for `body`;
    /// returns what `body` returned and what the baseline wrote to stderr.
    static func withBaseline<T: Sendable>(
        _ name: String, defines: [String] = [], _ body: (UInt16) async throws -> T
    ) async throws -> (T, stderr: String) {
        let directory = try TemporaryDirectory(prefix: "relayguard-baseline")
        defer { directory.remove() }
        let binary = directory.path + "/" + name
        let flags = try await runCommand("/usr/bin/pkg-config", ["--cflags", "--libs", "milter"])
        let compile = try await runCommand(
            "/usr/bin/gcc",
            ["-O2", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"] + defines
                + ["-o", binary, Self.root.path + "/Benchmarks/Baselines/\(name).c"]
                + flags.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
                + ["-lpthread"],
            timeout: .seconds(60)
        )
        guard compile.exitCode == 0 else { throw HarnessError("gcc failed for \(name).c:\n\(compile.summary)") }
        let port = try FreePort.allocate()
        let child = try ChildProcess(binary, ["inet:\(port)@127.0.0.1"])
        do {
            try await FreePort.waitUntilListening(port, what: name, whileAlive: { child.isRunning })
            let result = try await body(port)
            await child.stop(grace: .milliseconds(300))
            let stderr = child.capturedOutput().stderr
            child.discardOutputFiles()
            return (result, stderr)
        } catch {
            let output = child.output()
            await child.stop(grace: .milliseconds(300))
            child.discardOutputFiles()
            throw HarnessError("\(error)\n\(name) output:\n\(output)")
        }
    }
}
