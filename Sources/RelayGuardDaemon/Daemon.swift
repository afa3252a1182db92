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
    /// for the embedded default.
    public static func run(configuration: Configuration, path: String?) throws {
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
        let store = PolicyStore(configuration.policy)
        let reloader = Reloader(path: path, store: store, running: configuration, logger: logger)
        let thread = Thread { reloader.waitForSignals() }
        thread.start()

        var socketMode: UInt16?
        if case .unix = daemon.socket { socketMode = daemon.socketMode }
        let milter = MilterConfiguration(name: "relayguard", socket: daemon.socket.description, socketMode: socketMode,
                                         macros: RelayGuardSessionFactory.macros)
        let factory = RelayGuardSessionFactory(store: store, logger: logger)
        try MilterServer.run(milter, factory: factory) {
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

    init(path: String?, store: PolicyStore, running: Configuration, logger: Logger) {
        self.path = path
        self.store = store
        self.running = running
        self.logger = logger
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
            let configuration = try Configuration.load(path: path)
            for warning in configuration.warnings { logger.warning("\(warning)") }
            if configuration.daemon != running.daemon {
                logger.warning("reload: socket and log settings take effect only at restart")
            }
            let generation = store.replace(with: configuration.policy)
            logger.notice("reload: \(path) loaded, policy=\(generation) mode=\(configuration.policy.mode.rawValue) reroute=\(configuration.policy.reroute ? "yes" : "no")")
        } catch {
            for diagnostic in error.diagnostics { logger.error("\(diagnostic)") }
            logger.error("reload failed: keeping the running policy (policy=\(store.snapshot.generation))")
        }
    }
}
