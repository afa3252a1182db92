import Foundation
import Testing

/// `metrics_listen`: decisions, sessions and reloads through a private Postfix, scraped with curl.
@Suite("Prometheus metrics")
struct MetricsTests {
    @Test("decisions by verdict and rule, sessions and reloads, in the Prometheus text format")
    func scrape() async throws {
        let metricsPort = try FreePort.allocate()
        try await withRelayGuard(["metrics_listen = inet:\(metricsPort)@127.0.0.1"]) { milter in
            try await FreePort.waitUntilListening(metricsPort, what: "the metrics listener")
            let before = try await Self.scrape(metricsPort)
            #expect(before.contains("# TYPE relayguard_decisions_total counter"), "\(before)")
            #expect(Self.value(before, #"relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}"#) == 0)

            try await withPostfix(PostfixOptions(milter: milter.postfixMilter())) { postfix in
                let result = try await Swaks.send(
                    to: postfix, from: "metrics@outside.example", recipients: [Recipients.imcea, Recipients.alice],
                    client: Clients.outside)
                #expect(result.reply(for: Recipients.imcea)?.code == 550, "\(milter.log())")
                try await postfix.waitForQueueToDrain()
            }

            let pid = try #require(Self.processID(commandLineContaining: milter.configPath), "no relayguard process")
            kill(pid, SIGUSR1)
            try await waitUntil("the reload to be counted") {
                Self.value(try await Self.scrape(metricsPort), #"relayguard_reloads_total{result="ok"}"#) == 1
            }

            let after = try await Self.scrape(metricsPort)
            #expect(Self.value(after, #"relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}"#) == 1, "\(after)")
            #expect(Self.value(after, #"relayguard_decisions_total{verdict="continue",rule="pass"}"#) == 1, "\(after)")
            // Postfix 3.7 opens three milter connections for this dialogue (EHLO, XCLIENT, EHLO, MAIL, RCPT...:
            // measured, the same in every run); both recipients are decided in the last one.
            #expect(Self.value(after, "relayguard_sessions_total") == 3, "\(after)")
            let sessions = milter.decisions().map { $0["session"] }
            #expect(sessions.count == 2 && Set(sessions).count == 1, "\(milter.log())")
            #expect(Self.value(after, #"relayguard_reloads_total{result="failed"}"#) == 0, "\(after)")
            #expect(Self.value(after, #"relayguard_errors_total{kind="undecidable"}"#) == 0, "\(after)")
        }
    }

    @Test("metrics_listen takes only inet addresses", arguments: ["unix:/run/relayguard/metrics.sock", "8080", "inet:notaport@127.0.0.1"])
    func badAddress(_ value: String) async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-metrics")
        defer { directory.remove() }
        let path = try directory.write("metrics_listen = \(value)\n", to: "relayguard.conf")
        let check = try await runCommand(try RelayGuardProcess.binaryPath(), ["check-config", "--config", path])
        #expect(check.exitCode == 78, "\(check.summary)")
        #expect(check.stderr.contains("relayguard.conf:1:"), "\(check.summary)")
    }

    static func scrape(_ port: UInt16) async throws -> String {
        let curl = try RequiredTool(name: "curl", package: "curl").path()
        let result = try await runCommand(curl, ["-sS", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"])
        guard result.exitCode == 0 else { throw HarnessError("scrape failed\n\(result.summary)") }
        return result.stdout
    }

    /// The sample value of the series written exactly as `series`.
    static func value(_ exposition: String, _ series: String) -> Double? {
        for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// The process whose command line contains `text` (the milter's unique config path).
    static func processID(commandLineContaining text: String) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry),
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            let commandLine = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if commandLine.contains("relayguard") && commandLine.contains(text) && commandLine.contains(" run ") {
                return pid
            }
        }
        return nil
    }
}
