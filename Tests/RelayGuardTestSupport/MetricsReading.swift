import Prometheus

extension PrometheusCollectorRegistry {
    /// The value of one series in the exposition, e.g. `relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}`;
    /// 0 when the series has no sample line.
    package func value(_ series: String) -> Int {
        for line in emitToString().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Int(Double(line.dropFirst(series.count + 1)) ?? -1)
        }
        return 0
    }

    /// The sum of every sample of `metric`.
    package func total(_ metric: String) -> Int {
        emitToString().split(separator: "\n")
            .filter { $0.hasPrefix(metric + "{") || $0.hasPrefix(metric + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0) { $0 + Int($1) }
    }
}
