#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Milter
import MilterFrontEnd
import RelayGuardConfig
import RelayGuardCore

/// `relayguard run`: the milter in the foreground, reloading on SIGHUP and SIGUSR1.
public enum Daemon {
    /// Runs until SIGTERM or SIGINT. `path` is the config file, or nil for the embedded default. Started as root it
    /// needs `user` (dropped to once the sockets are open) or `allowRoot`; otherwise it throws
    /// `StartRefusal.runningAsRoot` before opening anything.
    ///
    /// Threads: libmilter runs on a thread of its own (`smfi_main` and its signal and worker threads); the calling
    /// thread, which must be the main thread, takes the signals (`SignalRelay`) and reloads or stops.
    ///
    /// - Throws: `StartRefusal` for a setting it will not run with; `SystemCallError`, `MilterError`,
    ///   `ListeningSocketError` (policy_socket) or `MetricsServerError` for what failed (`SocketAsAccountError` when
    ///   the service account could not create a unix socket in its directory); or `MilterStoppedError`
    ///   when libmilter stopped without a SIGTERM or SIGINT reaching this thread, or `PolicyListenerStoppedError`
    ///   when the policy listener stopped accepting on its own, so that the exit status is not 0 and a supervisor
    ///   restarts it.
    public static func run(configuration: Configuration, path: String?, allowRoot: Bool = false) throws {
        let privileges = try Privileges.plan(user: configuration.daemon.user, allowRoot: allowRoot)
        if case .drop(let account) = privileges, let path {
            try ReloadAccess.check(path: path, as: account)
        }
        if configuration.daemon.serveMilter { try SocketDirectory.check(configuration.daemon.socket) }

        // Before any thread exists, so that every thread inherits the mask; only this thread unblocks them again.
        SignalRelay.setBlocked(true)
        try SignalRelay.install()

        let daemon = configuration.daemon
        let logger = LineLogHandler.logger(daemon)

        for warning in configuration.warnings { logger.warning("\(warning)") }
        // Bound before privileges drop; counters made after the backend is bootstrapped.
        let metricsServer = try daemon.metricsListen.map { address throws(MetricsServerError) in
            try MetricsExport.start(on: address, logger: logger)
        }
        let metrics = RelayGuardMetrics()
        let store = PolicyStore(configuration.policy)
        // Taken before the privilege drop: a reload trusts the accounts the start trusted, not the service account.
        let reloader = Reloader(path: path, store: store, running: configuration, logger: logger, metrics: metrics,
                                trust: .processOwner)
        let policyDescriptor = try openPolicySocket(daemon, privileges: privileges)
        if !daemon.serveMilter, let policyDescriptor {
            return try servePolicyAlone(descriptor: policyDescriptor, privileges: privileges, metricsServer: metricsServer,
                                        configuration: configuration, path: path, store: store, logger: logger,
                                        metrics: metrics, reloader: reloader)
        }
        let policyListener = Locked<PolicyListener?>(nil)

        var socketMode: UInt16?
        if case .unix = daemon.socket { socketMode = daemon.socketMode }
        let milter = MilterConfiguration(name: "relayguard", socket: milterAddress(daemon.socket), socketMode: socketMode,
                                         timeout: Int32(daemon.timeout),
                                         macros: RelayGuardSessionFactory.macros)
        let factory = RelayGuardSessionFactory(store: store, logger: logger, metrics: metrics)
        let outcome = Locked<(any Error)?>(nil)
        let thread = Thread {
            do {
                try serve(milter, factory: factory, privileges: privileges, metricsServer: metricsServer,
                          configuration: configuration, path: path, logger: logger) {
                    guard let policyDescriptor else { return }
                    let listener = try startPolicyListener(descriptor: policyDescriptor, daemon: daemon, store: store,
                                                           logger: logger, metrics: metrics)
                    policyListener.withLock { $0 = listener }
                }
            } catch {
                outcome.withLock { $0 = error }
            }
            SignalRelay.notifyMilterReturned()
        }
        thread.name = "relayguard-milter"
        thread.start()

        SignalRelay.setBlocked(false)
        var stopping = false
        var policyListenerClosed = false
        while case let signal = SignalRelay.next(), signal != SignalRelay.milterReturned {
            if signal == SignalRelay.policyListenerClosed {
                // The milter is stopped too: a restart brings both back, and half a service must not look alive.
                if !stopping { MilterServer.stop() }
                stopping = true
                policyListenerClosed = true
                continue
            }
            switch Int32(signal) {
            case SIGHUP, SIGUSR1:
                reloader.reload()
            case SIGTERM where !stopping, SIGINT where !stopping:
                stopping = true
                logger.notice("stopping on \(signal == SIGTERM ? "SIGTERM" : "SIGINT"): sessions in progress finish")
                MilterServer.stop()
                policyListener.withLock { $0 }?.beginStop()
            default:
                break
            }
        }
        SignalRelay.setBlocked(true)
        policyListener.withLock { $0 }?.stop()
        if let error = outcome.withLock({ $0 }) { throw error }
        if policyListenerClosed { throw PolicyListenerStoppedError() }
        guard stopping else {
            logger.error("libmilter stopped without a SIGTERM or SIGINT to relayguard: exiting with an error so that it is restarted")
            throw MilterStoppedError()
        }
        logger.notice("relayguard stopped")
    }

    /// The `socket` setting as the Milter target takes it.
    static func milterAddress(_ socket: ListenSocket) -> MilterListenAddress {
        switch socket {
        case .unix(let path): .unix(path: path)
        case .inet(let port, let host): .inet(port: port, host: host)
        case .inet6(let port, let host): .inet6(port: port, host: host)
        }
    }

    /// The milter thread: opens the socket (as `user` when dropping), drops root, starts metrics, serves.
    private static func serve(
        _ milter: MilterConfiguration, factory: RelayGuardSessionFactory, privileges: Privileges.Plan,
        metricsServer: MetricsServer?, configuration: Configuration, path: String?, logger: Logger,
        afterDrop: () throws -> Void
    ) throws {
        let daemon = configuration.daemon
        try MilterServer.run(milter, factory: factory, whileBinding: { bind in
            guard case .drop(let account) = privileges, daemon.socket.isUnix else { return try bind() }
            do {
                try Privileges.asAccount(account, bind)
            } catch let error as MilterError where error.operation == .openSocket {
                throw SocketAsAccountError(underlying: error, user: account.name)
            }
        }) {
            if case .drop(let account) = privileges {
                try Privileges.drop(to: account)
                logger.notice("running as user \(account.name) (uid \(account.uid), gid \(account.gid))")
            }
            try afterDrop()
            if let metricsServer {
                try metricsServer.start()
                logger.notice("metrics on http://\(metricsServer.boundDescription)/metrics")
            }
            logger.notice("relayguard \(RelayGuardVersion.string) listening on \(daemon.socket) config=\(path ?? "(embedded default)") mode=\(configuration.policy.mode.rawValue) reroute=\(configuration.policy.reroute ? "yes" : "no") timeout=\(daemon.timeout)s")
        }
    }
}

/// A unix socket (the milter's through `smfi_opensocket`, or a `ListeningSocket`) could not be created in its
/// directory by the service account: the account, not root, needs the directory.
public struct SocketAsAccountError: Error, CustomStringConvertible {
    /// `MilterError` or `ListeningSocketError`.
    public let underlying: any Error
    public let user: String

    public var description: String {
        "\(underlying); the socket is created as user \(user), so its directory must be writable by \(user)"
    }
}

/// libmilter's `smfi_main` returned although no SIGTERM or SIGINT reached `run`: its own signal thread took a
/// signal (SIGHUP among them) or it failed. `relayguard run` exits 75 (EX_TEMPFAIL): restart me.
public struct MilterStoppedError: Error, CustomStringConvertible {
    public var description: String {
        "libmilter stopped on its own (a signal its thread took, or a failure it logged to syslog); exiting 75 so that a supervisor restarts relayguard"
    }
}
