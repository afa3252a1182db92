import Foundation
import Testing

@Suite("Fault: slow and stuck milter peers")
struct FaultPeerTests {
    static let burstSessions = 500
    static let burstThreads = 5
    /// Longer than the harness's `milter_command_timeout` (10 s): the stalled peers outlive any Postfix session.
    static let stallAtLeast: Duration = .seconds(12)

    /// Opens `burstSessions` milter sessions from `burstThreads` threads at once, plays a transaction on each
    /// (IMCEA must get 550, alice continue) and keeps them all open; returns the open clients.
    static func burst(port: UInt16) async throws -> [FaultMilterClient] {
        try await withThrowingTaskGroup(of: [FaultMilterClient].self) { group in
            for thread in 0..<burstThreads {
                group.addTask {
                    try await BlockingWork.run {
                        var clients: [FaultMilterClient] = []
                        for index in 0..<(burstSessions / burstThreads) {
                            let client = try FaultMilterClient(port: port)
                            let replies = try client.transaction(
                                clientIP: "203.0.113.\(1 + (thread * 50 + index) % 250)",
                                recipients: ["<\(FaultGateway.mustDeny)>", "<\(FaultGateway.allowed)>"])
                            guard replies.count == 2, replies[0].hasPrefix("550 5.7.1"), replies[1] == "continue" else {
                                throw HarnessError("burst session \(thread)/\(index): replies \(replies)")
                            }
                            clients.append(client)
                        }
                        return clients
                    }
                }
            }
            var all: [FaultMilterClient] = []
            for try await clients in group { all += clients }
            return all
        }
    }

    /// One session through Postfix while the milter is busy: the IMCEA recipient refused, alice accepted.
    static func probe(_ postfix: PostfixInstance, _ milter: RelayGuardProcess, sender: String) async throws {
        let result = try await Swaks.send(to: postfix, from: sender,
                                          recipients: [FaultGateway.mustDeny, FaultGateway.allowed],
                                          client: Clients.outside)
        #expect(result.reply(for: FaultGateway.mustDeny)?.code == 550, "\(result.output.stdout)")
        #expect(result.reply(for: FaultGateway.allowed)?.code == 250, "\(result.output.stdout)")
    }

    /// Waits until the milter has closed every session but the `leaving` stalled peers (the burst clients sent QUIT
    /// and closed; libmilter closes its side when it reads that), so memory is read after the sessions are gone.
    static func waitForSessionsToClose(_ milter: RelayGuardProcess, leaving: Int) async throws {
        try await waitUntil("the milter to close all sessions but \(leaving) (open: \(milter.openMilterConnections()))") {
            milter.openMilterConnections() <= leaving
        }
    }

    @Test("stalled and half-sent peers and a burst of 500 sessions: Postfix sessions still answered, memory returns")
    func stalledPeersAndBurst() async throws {
        try await withRelayGuard { milter in
            try await withPostfix(FaultGateway.options(milter)) { postfix in
                let clock = ContinuousClock()
                // Warm up: the first session's one-time allocations belong to the idle figure.
                try await Self.probe(postfix, milter, sender: "peer-warmup@outside.example")
                let idle = milter.memory().rssKiB
                let idleThreads = milter.threadCount()

                // A peer that connects and says nothing, and one that sends half a negotiation packet (the sockets'
                // blocking calls on a thread of their own).
                let stalledAt = clock.now
                let (silent, half) = try await BlockingWork.run {
                    let silent = try FaultMilterClient(port: milter.port)
                    let half = try FaultMilterClient(port: milter.port)
                    try half.sendRaw([0, 0, 0, 13, FaultMilterClient.Command.optionNegotiation, 0, 0, 0])
                    return (silent, half)
                }
                try await Self.probe(postfix, milter, sender: "peer-stalled@outside.example")

                // 500 sessions open at once, while a Postfix session goes through.
                async let probeDuringBurst: Void = Self.probe(postfix, milter, sender: "peer-burst@outside.example")
                var open = try await Self.burst(port: milter.port)
                try await probeDuringBurst
                let threadsAtPeak = milter.threadCount()
                let peak = milter.memory().peakKiB
                for client in open { client.quit() }
                open = []

                // The stalled peers outlive Postfix's milter_command_timeout; others are still answered.
                let remaining = Self.stallAtLeast - (clock.now - stalledAt)
                if remaining > .zero { try await Task.sleep(for: remaining) }
                try await Self.probe(postfix, milter, sender: "peer-late@outside.example")
                let stalledFor = clock.now - stalledAt
                withExtendedLifetime((silent, half)) {}

                try await Self.waitForSessionsToClose(milter, leaving: 2)
                let after = milter.memory().rssKiB
                let threadsAfter = milter.threadCount()

                // A second burst: memory that keeps growing from burst to burst would be a leak.
                for client in try await Self.burst(port: milter.port) { client.quit() }
                try await Self.waitForSessionsToClose(milter, leaving: 2)
                let afterSecond = milter.memory().rssKiB
                let threadsAfterSecond = milter.threadCount()

                #expect(milter.isRunning, "relayguard died:\n\(milter.log().suffix(3000))")
                try await postfix.waitForQueueToDrain()
                #expect(try FaultGateway.wronglyDelivered(postfix).isEmpty)
                let decided = milter.logLines(containing: "verdict=").count
                #expect(decided >= 2 * Self.burstSessions * 2, "decisions logged: \(decided)")

                // Bounds, with room over what was measured (RELIABILITY.md: RSS 27.3 MiB idle, +0.6 MiB at the
                // peak, +0.01 MiB from the first burst's end to the second's; 6 threads idle, 7 or 8 at the peak):
                // libmilter's worker pool serves 500 open sessions with a few threads, and a session's memory is
                // returned. When 500 peers quit at once on a loaded machine the pool can grow by hundreds of threads
                // (329 seen in a full end-to-end run), each with a touched stack: memory is judged net of 16 KiB per
                // added thread, so a leak of a few KiB a session (2 MiB over 1000) still fails.
                #expect(idle > 0 && peak > 0 && after > 0 && afterSecond > 0, "memory figures unreadable")
                #expect(peak - idle < 16 * 1024, "RSS peak \(peak) KiB over idle \(idle) KiB")
                let addedThreads = max(0, threadsAfterSecond - threadsAfter)
                #expect(afterSecond - after < 2 * 1024 + 16 * addedThreads,
                        "RSS after the first burst \(after) KiB, after the second \(afterSecond) KiB, \(addedThreads) threads more")
                #expect(afterSecond - idle < 4 * 1024 + 16 * max(0, threadsAfterSecond - idleThreads),
                        "RSS idle \(idle) KiB, after two bursts \(afterSecond) KiB")
                #expect(idleThreads > 0 && threadsAtPeak <= idleThreads + 8, "threads: idle \(idleThreads), with 500 sessions open \(threadsAtPeak)")
                #expect(threadsAfterSecond < Self.burstSessions, "threads after the second burst: \(threadsAfterSecond), one per session")

                reportFigures("peers", [
                    "burst_sessions": "\(Self.burstSessions)x2",
                    "stalled_peers": "2",
                    "stalled_for": String(format: "%.1fs", stalledFor.seconds),
                    "postfix_probes_answered": "4",
                    "rss_idle": "\(idle)KiB",
                    "rss_peak": "\(peak)KiB",
                    "rss_after": "\(after)KiB",
                    "rss_after_second_burst": "\(afterSecond)KiB",
                    "threads_idle": "\(idleThreads)",
                    "threads_at_peak": "\(threadsAtPeak)",
                    "threads_after": "\(threadsAfter)",
                    "threads_after_second_burst": "\(threadsAfterSecond)",
                ])
            }
        }
    }
}
