#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Milter
import RelayGuardConfig

/// `relayguard run`: the milter in the foreground, reloading on SIGUSR1.
public enum Daemon {
    /// Runs until SIGTERM or SIGINT (libmilter's signal thread stops `smfi_main`). `path` is the config file, or nil
    /// for the embedded default. Started as root it needs `user` (dropped to once the sockets are open) or
    /// `allowRoot`; otherwise it throws `PrivilegeError.runningAsRoot` before opening anything.
    public static func run(configuration: Configuration, path: String?, allowRoot: Bool = false) throws {
        let privileges = try Privileges.plan(user: configuration.daemon.user, allowRoot: allowRoot)
        try SocketDirectory.check(configuration.daemon.socket)

        // Before any thread exists, so that every thread inherits the mask: libmilter's signal thread then sigwaits
        // HUP/TERM/INT, and our reload thread is the only one to receive USR1.
        blockSignals([SIGHUP, SIGTERM, SIGINT, SIGUSR1])

        let daemon = configuration.daemon
        if daemon.log == .syslog { LineLogHandler.openSyslog(facility: daemon.syslogFacility) }
        let level = Logger.Level(rawValue: daemon.logLevel.rawValue) ?? .info
        let target: LineLogHandler.Target = daemon.log == .syslog ? .syslog : .stderr
        var logger = Logger(label: "relayguard") { _ in LineLogHandler(target: target, level: level) }
        logger.logLevel = level

        for warning in configuration.warnings { logger.warning("\(warning)") }
        // Bound before privileges drop; counters made after the backend is bootstrapped.
        let metricsServer = try daemon.metricsListen.map { address throws(MetricsServerError) in
            try MetricsExport.start(on: address)
        }
        let metrics = RelayGuardMetrics()
        let store = PolicyStore(configuration.policy)
        // Taken before the privilege drop: a reload trusts the accounts the start trusted, not the service account.
        let reloader = Reloader(path: path, store: store, running: configuration, logger: logger, metrics: metrics,
                                trust: .processOwner)
        let thread = Thread { reloader.waitForSignals() }
        thread.start()

        var socketMode: UInt16?
        if case .unix = daemon.socket { socketMode = daemon.socketMode }
        let milter = MilterConfiguration(name: "relayguard", socket: daemon.socket.description, socketMode: socketMode,
                                         macros: RelayGuardSessionFactory.macros,
                                         unansweredStages: RelayGuardSessionFactory.unansweredStages)
        let factory = RelayGuardSessionFactory(store: store, logger: logger, metrics: metrics)
        try MilterServer.run(milter, factory: factory) {
            if case .drop(let account) = privileges {
                if case .unix(let socketPath) = daemon.socket { try Privileges.handOver(socket: socketPath, to: account) }
                try Privileges.drop(to: account)
                logger.notice("running as user \(account.name) (uid \(account.uid), gid \(account.gid))")
            }
            if let metricsServer {
                metricsServer.start()
                logger.notice("metrics on http://\(metricsServer.boundDescription)/metrics")
            }
            logger.notice("relayguard \(RelayGuardVersion.string) listening on \(daemon.socket) config=\(path ?? "(embedded default)") mode=\(configuration.policy.mode.rawValue) reroute=\(configuration.policy.reroute ? "yes" : "no")")
        }
        logger.notice("relayguard stopped")
    }

    static func blockSignals(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}

/// Reloads the config file on SIGUSR1: parse and validate the whole file off to the side, swap on success, keep the
/// running policy and log every error on failure.
final class Reloader: Sendable {
    let path: String?
    let store: PolicyStore
    let running: Configuration
    let logger: Logger
    let metrics: RelayGuardMetrics
    /// Who may own the config file, its includes and the directories on their paths.
    let trust: FileTrust

    init(path: String?, store: PolicyStore, running: Configuration, logger: Logger, metrics: RelayGuardMetrics = RelayGuardMetrics(),
         trust: FileTrust = .processOwner) {
        self.path = path
        self.trust = trust
        self.store = store
        self.running = running
        self.logger = logger
        self.metrics = metrics
    }

    /// Runs on its own thread for the life of the process.
    func waitForSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGUSR1)
        while true {
            var signal: Int32 = 0
            guard sigwait(&set, &signal) == 0, signal == SIGUSR1 else { continue }
            reload()
        }
    }

    func reload() {
        guard let path else {
            logger.notice("reload: running on the embedded default, nothing to reload")
            return
        }
        do {
            let configuration = try Configuration.load(path: path, trust: trust)
            for warning in configuration.warnings { logger.warning("\(warning)") }
            if configuration.daemon != running.daemon {
                logger.warning("reload: socket and log settings take effect only at restart")
            }
            let generation = store.replace(with: configuration.policy)
            metrics.recordReload(succeeded: true)
            logger.notice("reload: \(path) loaded, policy=\(generation) mode=\(configuration.policy.mode.rawValue) reroute=\(configuration.policy.reroute ? "yes" : "no")")
        } catch {
            metrics.recordReload(succeeded: false)
            for diagnostic in error.diagnostics { logger.error("\(diagnostic)") }
            logger.error("reload failed: keeping the running policy (policy=\(store.snapshot.generation))")
        }
    }
}
