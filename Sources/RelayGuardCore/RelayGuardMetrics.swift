import Metrics
import RelayPolicy

/// RelayGuard's counters, through swift-metrics: no-ops until a backend is bootstrapped (`MetricsExport` does that
/// when `metrics_listen` is set).
///
/// Every counter is made once, here: a decision only increments a counter found by array index, with no lookup in
/// the factory and no allocation on libmilter's threads.
public final class RelayGuardMetrics: Sendable {
    /// The verdicts in the order of `decisionCounters`' outer index.
    static let verdicts: [Verdict] = [.continue, .reject, .tempfail]

    /// `relayguard_decisions_total{verdict, rule}`, indexed by verdict then by `Rule.allCases` position.
    private let decisionCounters: [[Counter]]
    /// `relayguard_sessions_total`: SMTP connections the milter saw.
    public let sessions: Counter
    /// `relayguard_reloads_total{result="ok"|"failed"}`.
    let reloadsOK: Counter
    let reloadsFailed: Counter
    /// `relayguard_errors_total{kind}`: `undecidable` recipients (`on_error` answered), `reload` failures.
    let undecidable: Counter
    let reloadErrors: Counter

    /// `factory` is the bootstrapped backend by default; tests pass their own registry's to read the counters.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        decisionCounters = Self.verdicts.map { verdict in
            Rule.allCases.map { rule in
                Counter(label: "relayguard_decisions_total", dimensions: [("verdict", verdict.rawValue), ("rule", rule.rawValue)], factory: factory)
            }
        }
        sessions = Counter(label: "relayguard_sessions_total", factory: factory)
        reloadsOK = Counter(label: "relayguard_reloads_total", dimensions: [("result", "ok")], factory: factory)
        reloadsFailed = Counter(label: "relayguard_reloads_total", dimensions: [("result", "failed")], factory: factory)
        undecidable = Counter(label: "relayguard_errors_total", dimensions: [("kind", "undecidable")], factory: factory)
        reloadErrors = Counter(label: "relayguard_errors_total", dimensions: [("kind", "reload")], factory: factory)
    }

    /// Counts one recipient's decision.
    public func record(_ decision: Decision) {
        let verdictIndex = Self.verdicts.firstIndex(of: decision.verdict) ?? 0
        let ruleIndex = Rule.allCases.firstIndex(of: decision.rule) ?? 0
        decisionCounters[verdictIndex][ruleIndex].increment()
        if decision.rule == .onError { undecidable.increment() }
    }

    func recordReload(succeeded: Bool) {
        if succeeded {
            reloadsOK.increment()
        } else {
            reloadsFailed.increment()
            reloadErrors.increment()
        }
    }
}
