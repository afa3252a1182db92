import Foundation
import Prometheus
import RelayGuardConfig
import RelayGuardTestSupport
import Testing

@testable import RelayGuardCore

/// `Reloader.reload()`: a broken file keeps the running snapshot (same object, same generation) and logs every
/// error with its file:line; the next valid file installs the next generation.
@Suite("Reloader")
struct ReloaderTests {
    struct BrokenFile: Sendable, CustomTestStringConvertible {
        var name: String
        /// Writes the broken state into the config file at `path`.
        var breakFile: @Sendable (_ path: String) throws -> Void
        /// A fragment of the logged error.
        var error: String
        var testDescription: String { name }
    }

    static let brokenFiles = [
        BrokenFile(name: "unknown key", breakFile: { try write("reroute = yes\nrerout = no\n", to: $0) },
                   error: #"relayguard.conf:2: unknown key "rerout" (did you mean "reroute"?)"#),
        BrokenFile(name: "bad value", breakFile: { try write("reroute = maybe\n", to: $0) },
                   error: "relayguard.conf:1: "),
        BrokenFile(name: "bad CIDR", breakFile: { try write("reroute = yes\nrelay_clients = 192.0.2.0/33\n", to: $0) },
                   error: "relayguard.conf:2: "),
        BrokenFile(name: "vanished file", breakFile: { try FileManager.default.removeItem(atPath: $0) },
                   error: "cannot read config file"),
        // The reloader keeps the trust taken at start (root), whatever account it runs as by then.
        BrokenFile(name: "owned by another account", breakFile: { path in
            try write("reroute = no\n", to: path)
            guard chown(path, 65534, 65534) == 0 else { throw CocoaError(.fileWriteNoPermission) }
        }, error: "relayguard.conf: owned by nobody, not root: that account could change the relay policy"),
    ]

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("a broken file keeps the generation and the policy; the next valid file installs the next", arguments: brokenFiles)
    func brokenFileKeepsGeneration(broken: BrokenFile) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relayguard-reloader-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/relayguard.conf"
        try Self.write("", to: path)

        let registry = PrometheusCollectorRegistry()
        let metrics = RelayGuardMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let (logger, lines) = RecordingLogHandler.logger()
        let running = try Configuration.load(path: path)
        let store = PolicyStore(running.policy)
        let reloader = Reloader(path: path, store: store, running: running, logger: logger, metrics: metrics)

        try Self.write("reroute = yes\nrelay_clients = 192.0.2.0/24\n", to: path)
        reloader.reload()
        let installed = store.snapshot
        #expect(installed.generation == 1)
        #expect(installed.policy.reroute)

        try broken.breakFile(path)
        reloader.reload()
        #expect(store.snapshot === installed)
        #expect(lines.all.contains { $0.hasPrefix("error: ") && $0.contains(broken.error) }, "\(lines.all)")
        #expect(lines.all.contains("error: reload failed: keeping the running policy (policy=1)"), "\(lines.all)")

        try Self.write("reroute = no\n", to: path)
        reloader.reload()
        #expect(store.snapshot.generation == 2)
        #expect(!store.snapshot.policy.reroute)

        #expect(registry.value(#"relayguard_reloads_total{result="ok"}"#) == 2)
        #expect(registry.value(#"relayguard_reloads_total{result="failed"}"#) == 1)
        #expect(registry.value(#"relayguard_errors_total{kind="reload"}"#) == 1)
    }

    @Test("on the embedded default there is nothing to reload")
    func embeddedDefault() {
        let (logger, lines) = RecordingLogHandler.logger()
        let store = PolicyStore(Configuration.embeddedDefault.policy)
        let before = store.snapshot
        Reloader(path: nil, store: store, running: .embeddedDefault, logger: logger).reload()
        #expect(store.snapshot === before)
        #expect(lines.all == ["notice: reload: running on the embedded default, nothing to reload"])
    }

    /// Issue 10 section 7: a new file that switches the IMCEASMTP protection off is installed, with its warning.
    @Test("a reload logs the new file's warnings")
    func reloadLogsWarnings() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relayguard-reloader-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/relayguard.conf"
        try Self.write("", to: path)
        let (logger, lines) = RecordingLogHandler.logger()
        let running = try Configuration.load(path: path)
        let store = PolicyStore(running.policy)
        let reloader = Reloader(path: path, store: store, running: running, logger: logger, trust: FileTrust(owners: [0, getuid()]))
        try Self.write("reroute = no\nimcea_reroute_types =\n", to: path)
        reloader.reload()
        #expect(store.snapshot.generation == 1)
        #expect(lines.all.contains("warning: \(path):2: warning: imcea_reroute_types is empty: IMCEASMTP and IMCEAX400 recipients are reroute attempts only when their payload carries @, % or ! (the default is SMTP X400: those types are refused whatever they carry)"), "\(lines.all)")
    }
}
