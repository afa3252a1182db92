import Dispatch
import Milter
import Prometheus
import RelayGuardCore
import RelayGuardTestSupport
import RelayPolicy
import Synchronization
import Testing

@testable import MilterFrontEnd

/// `PolicyStore` swaps while libmilter-like threads decide recipients: every session answers with the one policy it
/// took at its start, whatever the reloader does meanwhile, and the counters add up. Generation parity names the
/// policy: even generations are A (IMCEA rejected), odd ones B (IMCEA allowed from the client).
@Suite("Policy snapshot swap under concurrent decisions")
struct PolicySwapTests {
    static let workers = 4
    static let sessionsPerWorker = 300
    /// Recipients per session: IMCEA, alice, IMCEA, IMCEA.
    static let recipients = [TwoPolicies.imcea, TwoPolicies.alice, TwoPolicies.imcea, TwoPolicies.imcea]

    /// What one session saw.
    struct SessionRecord: Sendable {
        var worker: Int
        var generation: Int
        var imceaAnswers: [String]
        var aliceVerdicts: [MilterVerdict]
        /// A reload landed between the session's start and its last recipient.
        var straddled: Bool
    }

    final class Shared: Sendable {
        let finishedWorkers = Atomic<Int>(0)
        let records = Locked<[SessionRecord]>([])
        let reloads = Locked<Int>(0)
    }

    @Test("each session answers with one policy, first to last recipient, while a reloader swaps A and B")
    func concurrentSwap() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = RelayGuardMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let (logger, lines) = RecordingLogHandler.logger()
        let store = PolicyStore(TwoPolicies.a)
        let factory = RelayGuardSessionFactory(store: store, logger: logger, metrics: metrics)
        let shared = Shared()
        let clock = ContinuousClock()
        let start = clock.now

        let reloader: @Sendable () -> Void = {
            var generation = 0
            // Until every decider is done (bounded, in case one hangs), then at least 200 swaps in all.
            while (shared.finishedWorkers.load(ordering: .acquiring) < Self.workers && generation < 1_000_000)
                || generation < 200
            {
                generation = store.replace(with: (generation + 1) % 2 == 0 ? TwoPolicies.a : TwoPolicies.b)
            }
            shared.reloads.withLock { $0 = generation }
        }
        let deciders: [@Sendable () -> Void] = (0..<Self.workers).map { worker in
            {
                var records: [SessionRecord] = []
                for index in 0..<Self.sessionsPerWorker {
                    let session = factory.makeSession()
                    let generation = (session as! RelayGuardSession).snapshot.generation
                    let queueID = "W\(worker)S\(index)"
                    TwoPolicies.open(session, queueID: queueID)
                    var record = SessionRecord(worker: worker, generation: generation, imceaAnswers: [],
                                               aliceVerdicts: [], straddled: false)
                    for recipient in Self.recipients {
                        let verdict = TwoPolicies.recipient(session, recipient, queueID: queueID)
                        if recipient == TwoPolicies.imcea {
                            record.imceaAnswers.append("\(TwoPolicies.Answer(verdict))")
                        } else {
                            record.aliceVerdicts.append(verdict)
                        }
                    }
                    record.straddled = store.snapshot.generation != generation
                    session.close()
                    records.append(record)
                }
                shared.records.withLock { $0.append(contentsOf: records) }
                shared.finishedWorkers.add(1, ordering: .releasing)
            }
        }
        runOnThreads(deciders + [reloader])
        let elapsed = clock.now - start

        let records = shared.records.withLock { $0 }
        let reloads = shared.reloads.withLock { $0 }
        let sessions = Self.workers * Self.sessionsPerWorker
        #expect(records.count == sessions)
        #expect(reloads >= 200)

        // One policy per session, and the one its snapshot's generation names.
        for record in records {
            let expected = record.generation % 2 == 0 ? "A" : "B"
            #expect(record.imceaAnswers == Array(repeating: expected, count: 3),
                    "session of worker \(record.worker) on policy=\(record.generation)")
            #expect(record.aliceVerdicts == [.continue])
        }
        // Snapshots only move forward: a thread's later session never gets an older policy.
        for worker in 0..<Self.workers {
            let generations = records.filter { $0.worker == worker }.map(\.generation)
            #expect(generations == generations.sorted(), "worker \(worker)")
        }
        let onA = records.filter { $0.generation % 2 == 0 }.count
        let onB = sessions - onA
        let straddled = records.filter(\.straddled).count
        // The swap was exercised: sessions ran on both policies (the reloader swaps for as long as any decider
        // runs, thousands of times a session), and the log names both policies' rules.
        #expect(onA > 0 && onB > 0, "sessions on A: \(onA), on B: \(onB)")

        // The decision log agrees: one line per recipient, each naming a generation whose policy gave that answer.
        let decisionLines = lines.all.filter { $0.contains(" verdict=") }
        #expect(decisionLines.count == sessions * Self.recipients.count)
        var imceaRules: [String: Int] = [:]
        for line in decisionLines where line.contains("form=imcea") {
            let generation = Int(line.field("policy") ?? "") ?? -1
            let rule = generation % 2 == 0 ? "reroute-disabled" : "reroute-allowed"
            #expect(line.field("rule") == rule, "\(line)")
            imceaRules[line.field("rule") ?? "-", default: 0] += 1
        }
        #expect(imceaRules == ["reroute-disabled": onA * 3, "reroute-allowed": onB * 3], "\(imceaRules)")

        // The counters add up to what the sessions saw.
        #expect(registry.value("relayguard_sessions_total") == sessions)
        #expect(registry.total("relayguard_decisions_total") == sessions * Self.recipients.count)
        #expect(registry.value(#"relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}"#) == onA * 3)
        #expect(registry.value(#"relayguard_decisions_total{verdict="continue",rule="reroute-allowed"}"#) == onB * 3)
        #expect(registry.value(#"relayguard_decisions_total{verdict="continue",rule="pass"}"#) == sessions)
        #expect(registry.total("relayguard_errors_total") == 0)

        print("RELIABILITY policy-swap: threads=\(Self.workers)+1 sessions=\(sessions) decisions=\(decisionLines.count) reloads=\(reloads) sessions_on_a=\(onA) sessions_on_b=\(onB) straddled_a_reload=\(straddled) wrong_answers=0 elapsed=\(elapsed)")
    }

    @Test("a session keeps the policy it started with across reloads; the next session gets the new one")
    func sessionKeepsItsSnapshot() {
        let store = PolicyStore(TwoPolicies.a)
        let factory = RelayGuardSessionFactory(store: store, logger: RecordingLogHandler.logger().0)
        let first = factory.makeSession()
        TwoPolicies.open(first, queueID: "Q1")
        #expect(TwoPolicies.Answer(TwoPolicies.recipient(first, TwoPolicies.imcea, queueID: "Q1")) == .a)
        store.replace(with: TwoPolicies.b)
        #expect(TwoPolicies.Answer(TwoPolicies.recipient(first, TwoPolicies.imcea, queueID: "Q1")) == .a)

        let second = factory.makeSession()
        TwoPolicies.open(second, queueID: "Q2")
        #expect(TwoPolicies.Answer(TwoPolicies.recipient(second, TwoPolicies.imcea, queueID: "Q2")) == .b)
        store.replace(with: TwoPolicies.a)
        #expect(TwoPolicies.Answer(TwoPolicies.recipient(second, TwoPolicies.imcea, queueID: "Q2")) == .b)
        #expect(TwoPolicies.Answer(TwoPolicies.recipient(first, TwoPolicies.imcea, queueID: "Q1")) == .a)
        #expect(store.snapshot.generation == 2)
    }
}
