import Logging
import RelayGuardConfig

/// Reloads the config file (`relayguard run` calls it on SIGHUP or SIGUSR1): parse and validate the whole file off to
/// the side, swap on success, keep the running policy and log every error on failure. Counts both outcomes. Whatever
/// front ends serve from `store` see the new policy from their next snapshot on.
public final class Reloader: Sendable {
    let path: String?
    let store: PolicyStore
    let running: Configuration
    let logger: Logger
    let metrics: RelayGuardMetrics
    /// Who may own the config file, its includes and the directories on their paths.
    let trust: FileTrust

    /// `running` is the configuration in force, to warn when a reload changes settings that only a restart applies;
    /// `trust` is taken at start (see `FileTrust`), before any privilege drop.
    public init(path: String?, store: PolicyStore, running: Configuration, logger: Logger,
                metrics: RelayGuardMetrics = RelayGuardMetrics(), trust: FileTrust = .processOwner) {
        self.path = path
        self.trust = trust
        self.store = store
        self.running = running
        self.logger = logger
        self.metrics = metrics
    }

    /// Loads `path` and installs its policy, or logs why not and keeps the running one.
    public func reload() {
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
