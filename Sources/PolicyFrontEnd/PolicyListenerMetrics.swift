import Metrics

/// The policy listener's own counters, beside `RelayGuardMetrics` (whose decision counters the policy answers
/// share with the milter). Made once, like those: a connection only increments.
public final class PolicyListenerMetrics: Sendable {
    /// `relayguard_policy_connections_total`: connections accepted and served.
    public let accepted: Counter
    /// `relayguard_policy_connections_refused_total`: connections closed at accept: `policy_max_connections`
    /// reached with every connection in the middle of a request.
    public let refused: Counter
    /// `relayguard_policy_connections_evicted_total`: idle connections closed to make room for a new one at
    /// `policy_max_connections`.
    public let evicted: Counter
    /// `relayguard_policy_connections`: connections open now.
    public let open: Meter
    /// `relayguard_policy_requests_total`: requests answered, good or bad.
    public let requests: Counter
    /// `relayguard_policy_bad_requests_total`: requests answered with `on_error`'s answer because they could not be read.
    public let badRequests: Counter
    /// `relayguard_policy_timeouts_total`: connections closed after `policy_timeout` without a complete request.
    public let timeouts: Counter

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        accepted = Counter(label: "relayguard_policy_connections_total", factory: factory)
        refused = Counter(label: "relayguard_policy_connections_refused_total", factory: factory)
        evicted = Counter(label: "relayguard_policy_connections_evicted_total", factory: factory)
        open = Meter(label: "relayguard_policy_connections", factory: factory)
        requests = Counter(label: "relayguard_policy_requests_total", factory: factory)
        badRequests = Counter(label: "relayguard_policy_bad_requests_total", factory: factory)
        timeouts = Counter(label: "relayguard_policy_timeouts_total", factory: factory)
    }
}
