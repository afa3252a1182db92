import Foundation
import Synchronization
import Testing
import RelayGuardTestSupport

@Suite("Fault: 100 reloads under traffic (SIGUSR1 for the milter, SIGHUP for the policy socket)")
struct FaultReloadTests {
    static let reloads = 100
    static let probeClient = "192.0.2.10"

    /// The two valid files alternate; they answer the probe client's IMCEA recipient differently.
    static let validFiles: [(settings: [String], probeCode: Int)] = [
        // 192.0.2.10 may reroute: 250.
        (["reroute = yes", "relay_clients = 192.0.2.0/24", "reroute_action = reject"], 250),
        // 192.0.2.10 may not, and refusals are tempfails: 450.
        (["reroute = yes", "relay_clients = 198.51.100.0/24", "reroute_action = tempfail"], 450),
    ]

    /// Broken files and the config line (after `socket` and `user`, so the first setting is line 3) each error names.
    static func brokenFiles(missing: String) -> [(settings: [String], line: Int)] {
        [
            (["reroute = yes", "rerout = no", "relay_clients = 192.0.2.0/24"], 4),
            (["reroute = maybe", "relay_clients = 192.0.2.0/24"], 3),
            (["reroute = yes", "relay_clients = 192.0.2.300/24"], 4),
            (["reroute = yes", "relay_clients = file:\(missing)"], 4),
        ]
    }

    /// Sends SIGUSR1 and waits for the reload's outcome line (loaded or failed); returns it and the lines the reload
    /// logged before it (a broken file's diagnostics). Reads only the log written since the signal: under traffic the
    /// log grows by megabytes, and rereading all of it on every poll made this test quadratic (one CI run: 1050 s).
    static func reload(_ milter: RelayGuardProcess, signal: Int32 = SIGUSR1) async throws -> (line: Substring, before: [Substring]) {
        let mark = milter.logMark()
        try milter.send(signal)
        return try await milter.waitForLogLine(since: mark, what: "a reload outcome") {
            $0.contains("loaded, policy=") || $0.contains("reload failed:")
        }
    }

    // .serialized: one front end at a time, so the suite's load on the 2 cores is what it was with the milter alone.
    @Test("valid and broken files alternate: decisions follow the last valid file, no session fails",
          .serialized, arguments: FaultGateway.frontEnds)
    func reloadsUnderTraffic(_ frontEnd: FrontEnd) async throws {
        // Both reload; the milter keeps its older signal in the test, the policy socket gets the unit's.
        let signal = frontEnd.isPolicy ? SIGHUP : SIGUSR1
        try await withRelayGuard(Self.validFiles[0].settings, policy: frontEnd.policyListen) { milter in
            try await withPostfix(FaultGateway.options(milter)) { postfix in
                let broken = Self.brokenFiles(missing: milter.scratchPath("vanished-clients.txt"))
                let traffic = Traffic(postfix: postfix)
                let trafficTask = Task { try await traffic.run() }
                var generation = 0
                var current = 0
                var swaksProbes = 0, milterProbes = 0
                do {
                    for index in 0..<Self.reloads {
                        if index % 2 == 0 {
                            // A valid file, the other one than now.
                            current = 1 - current
                            try milter.rewriteConfig(Self.validFiles[current].settings)
                            let line = try await Self.reload(milter, signal: signal).line
                            generation += 1
                            #expect(line.contains("\(milter.configPath) loaded, policy=\(generation) "), "\(line)")
                            // A real session through Postfix gets the new file's answer, and relayguard logs it
                            // under the new policy generation.
                            let beforeProbe = milter.logMark()
                            let result = try await Swaks.send(
                                to: postfix, from: "reload-probe@outside.example", recipients: [FaultGateway.mustDeny],
                                client: XClient(Self.probeClient), quitAfter: "RCPT")
                            swaksProbes += 1
                            let code = result.reply(for: FaultGateway.mustDeny)?.code
                            #expect(code == Self.validFiles[current].probeCode,
                                    "reload \(index): \(result.output.stdout)")
                            let decision = try await milter.waitForLogLine(since: beforeProbe, what: "the probe's decision") {
                                MilterDecisionLine($0)?["client"] == Self.probeClient
                            }.line
                            #expect(MilterDecisionLine(decision)?["policy"] == "\(generation)", "\(decision)")
                        } else {
                            let file = broken[(index / 2) % broken.count]
                            try milter.rewriteConfig(file.settings)
                            let (line, diagnostics) = try await Self.reload(milter, signal: signal)
                            #expect(line.contains("reload failed: keeping the running policy (policy=\(generation))"),
                                    "\(line)")
                            #expect(diagnostics.contains { $0.contains("\(milter.configPath):\(file.line): ") },
                                    "no \(milter.configPath):\(file.line): error for \(file.settings): \(diagnostics)")
                            // The running policy stays: a session right away gets the last valid answer.
                            let replies: [String]
                            if let path = milter.policySocketPath {
                                let answer = try await BlockingWork.run {
                                    try PolicyClient(path: path).ask(
                                        PolicyClient.request(FaultGateway.mustDeny, client: Self.probeClient))
                                }
                                replies = answer.map { [$0 == "DUNNO" ? "continue" : $0] } ?? []
                            } else {
                                replies = try await BlockingWork.run {
                                    try FaultMilterClient(port: milter.port).transaction(
                                        clientIP: Self.probeClient, recipients: ["<\(FaultGateway.mustDeny)>"])
                                }
                            }
                            milterProbes += 1
                            let expected = Self.validFiles[current].probeCode == 250 ? "continue" : "450 4.7.1"
                            #expect(replies.first?.hasPrefix(expected) == true, "reload \(index): \(replies)")
                        }
                    }
                } catch {
                    traffic.stop()
                    _ = try? await trafficTask.value
                    throw error
                }
                traffic.stop()
                let (allowed, denied) = try await trafficTask.value
                try await postfix.waitForQueueToDrain(timeout: .seconds(30))
                let maillog = FaultMaillog(postfix)
                let wrong = try FaultGateway.wronglyDelivered(postfix)

                // No session failed because of a reload: no milter trouble in Postfix's log, every allowed message
                // delivered, every must-deny one refused by policy (550 or, under the tempfail file, 450).
                #expect(maillog.unavailableLines.isEmpty, "\(maillog.unavailableLines.prefix(5))")
                #expect(maillog.policyUnavailableLines.isEmpty, "\(maillog.policyUnavailableLines.prefix(5))")
                #expect(maillog.policyWarnings.isEmpty, "\(maillog.policyWarnings.prefix(5))")
                #expect(maillog.milterWarnings.isEmpty, "\(maillog.milterWarnings.prefix(5))")
                #expect(allowed.tempfailed == 0 && allowed.rejected == 0 && allowed.other.isEmpty, "\(allowed.refusals)")
                #expect(denied.accepted == 0 && denied.other.isEmpty, "\(denied.refusals)")
                #expect(Set(denied.refusals.keys).isSubset(of: ["recipient 550", "recipient 450"]), "\(denied.refusals)")
                let delivered = try postfix.sink.messages(from: Traffic.allowedSender).count
                #expect(delivered == allowed.sent)
                #expect(wrong.isEmpty)
                #expect(allowed.sent > 0 && denied.sent > 0)
                #expect(milter.logLines(containing: "reload failed:").count == Self.reloads / 2)

                reportFigures("reload \(frontEnd.rawValue)", [
                    "reloads": "\(Self.reloads)",
                    "valid": "\(Self.reloads / 2)",
                    "broken": "\(Self.reloads / 2)",
                    "sent": "\(allowed.sent + denied.sent)",
                    "delivered": "\(delivered)",
                    "refused_by_policy": "\(denied.rejected + denied.tempfailed)",
                    "front_end_tempfails": "\(maillog.unavailableLines.count + maillog.policyUnavailableLines.count)",
                    "wrongly_delivered": "\(wrong.count)",
                    "swaks_probes": "\(swaksProbes)",
                    "direct_probes": "\(milterProbes)",
                ])
            }
        }
    }
}

/// smtp-source traffic in rounds until stopped: each round sends an allowed and a must-deny stream side by side.
/// A round always runs to its end, so every message is counted.
final class Traffic: Sendable {
    static let allowedSender = "reload-allowed@outside.example"
    static let deniedSender = "reload-denied@outside.example"
    static let messagesPerRound = 20

    struct Totals: Sendable {
        var sent = 0, tempfailed = 0, rejected = 0
        var other: [String] = []
        var refusals: [String: Int] = [:]
        var accepted: Int { sent - tempfailed - rejected - other.count }

        mutating func add(_ report: SMTPSourceReport) {
            sent += report.source.messages
            tempfailed += report.tempfailed
            rejected += report.rejected
            other += report.other
            refusals.merge(report.refusals, uniquingKeysWith: +)
        }
    }

    private let postfix: PostfixInstance
    private let stopped = Atomic<Bool>(false)

    init(postfix: PostfixInstance) { self.postfix = postfix }

    func stop() { stopped.store(true, ordering: .relaxed) }

    func run() async throws -> (allowed: Totals, denied: Totals) {
        var allowed = Totals(), denied = Totals()
        while !stopped.load(ordering: .relaxed) {
            let allowedRun = try SMTPSource(sender: Self.allowedSender, recipient: FaultGateway.allowed,
                                            messages: Self.messagesPerRound, sessions: 1).start(against: postfix)
            let deniedRun = try SMTPSource(sender: Self.deniedSender, recipient: FaultGateway.mustDeny,
                                           messages: Self.messagesPerRound, sessions: 1).start(against: postfix)
            allowed.add(try await allowedRun.finish())
            denied.add(try await deniedRun.finish())
        }
        return (allowed, denied)
    }
}
