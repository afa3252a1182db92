import PolicyDelegation
import Prometheus
import RelayGuardCore
import RelayGuardTestSupport
import RelayPolicy
import Synchronization
import Testing

@testable import PolicyFrontEnd

/// Policy connections answered on several threads while a reloader swaps two policies: every answer is the one of
/// the policy its own decision line names (`policy=N`), and the counters add up. Policy A (even generations) rejects
/// the IMCEA recipient, B (odd) lets it through from 192.0.2.0/24; so the parity of a line's generation names the
/// answer it must have had.
@Suite("Policy front end: the snapshot per request under concurrent reloads")
struct PolicySnapshotPerRequestTests {
    static let connections = 4
    static let requestsPerConnection = 1_000
    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"
    static let request = Array("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.10\nrecipient=\(imcea)\n\n".utf8)

    static var policyA: Policy { Policy() }
    static var policyB: Policy {
        var policy = Policy()
        policy.reroute = true
        policy.relayClients = CIDRSet([try! CIDRPrefix(parsing: "192.0.2.0/24")])
        return policy
    }

    @Test("each answer matches the generation its line names, while a reloader swaps A and B")
    func concurrentReloads() {
        let registry = PrometheusCollectorRegistry()
        let metrics = RelayGuardMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let (logger, lines) = RecordingLogHandler.logger()
        let store = PolicyStore(Self.policyA)
        let (a, b) = (Self.policyA, Self.policyB)
        let finished = Atomic<Int>(0)
        let answers = Locked<[UInt64: [String]]>([:])

        let reloader: @Sendable () -> Void = {
            var generation = 0
            while finished.load(ordering: .acquiring) < Self.connections || generation < 200 {
                generation = store.replace(with: (generation + 1) % 2 == 0 ? a : b)
            }
        }
        let servers: [@Sendable () -> Void] = (0..<Self.connections).map { connection in
            {
                let answerer = PolicyAnswerer(store: store, logger: logger, metrics: metrics, session: UInt64(connection))
                var framer = PolicyRequestFramer()
                var actions: [String] = []
                for _ in 0..<Self.requestsPerConnection {
                    framer.feed(Self.request) { actions.append(answerer.answer($0)) }
                }
                answers.withLock { $0[UInt64(connection)] = actions }
                finished.add(1, ordering: .releasing)
            }
        }
        runOnThreads(servers + [reloader])

        let reject = "550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed"
        let decisionLines = lines.all.filter { $0.contains(" verdict=") }
        #expect(decisionLines.count == Self.connections * Self.requestsPerConnection)
        var onA = 0
        var onB = 0
        var reachedMidConnection = 0
        for connection in 0..<Self.connections {
            let actions = answers.withLock { $0[UInt64(connection)] ?? [] }
            let generations = decisionLines.filter { $0.field("session") == "\(connection)" }.map { Int($0.field("policy") ?? "") ?? -1 }
            #expect(actions.count == Self.requestsPerConnection && generations.count == actions.count)
            // Lines of one connection are logged in order, so the n-th line is the n-th answer's.
            for (action, generation) in zip(actions, generations) {
                #expect(action == (generation % 2 == 0 ? reject : "DUNNO"), "session \(connection) policy=\(generation)")
                if generation % 2 == 0 { onA += 1 } else { onB += 1 }
            }
            // A connection's snapshots only move forward.
            #expect(generations == generations.sorted(), "session \(connection)")
            if Set(generations).count > 1 { reachedMidConnection += 1 }
        }
        // Reloads reached connections in progress (a snapshot per connection would give each one generation).
        #expect(reachedMidConnection > 0)
        // The swap was exercised: requests were answered by both policies.
        #expect(onA > 0 && onB > 0, "on A: \(onA), on B: \(onB)")
        #expect(registry.value(#"relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}"#) == onA)
        #expect(registry.value(#"relayguard_decisions_total{verdict="continue",rule="reroute-allowed"}"#) == onB)
        print("RELIABILITY policy-per-request: threads=\(Self.connections)+1 requests=\(onA + onB) on_a=\(onA) on_b=\(onB) connections_reloaded_midway=\(reachedMidConnection) wrong_answers=0")
    }
}
