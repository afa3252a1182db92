#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import PolicyFrontEnd
import RelayGuardConfig
import RelayGuardCore

/// `relayguard run`'s part in `policy_socket`: open before the drop, serve after it, stop at SIGTERM.
extension Daemon {
    /// Opens `policy_socket`, still as root: a unix socket as the service account, exactly as the milter's
    /// (`Privileges.asAccount`, the umask giving `socket_mode`), an inet one as root (a port below 1024 works).
    /// Nil when `policy_socket` is off.
    static func openPolicySocket(_ daemon: DaemonSettings, privileges: Privileges.Plan) throws -> Int32? {
        guard let address = daemon.policySocket else { return nil }
        try SocketDirectory.check(address)
        guard case .drop(let account) = privileges, address.isUnix else {
            return try ListeningSocket.open(address, mode: daemon.socketMode, key: "policy_socket")
        }
        do {
            return try Privileges.asAccount(account) { try ListeningSocket.open(address, mode: daemon.socketMode, key: "policy_socket") }
        } catch let error as ListeningSocketError where error.inDirectory {
            throw SocketAsAccountError(underlying: error, user: account.name)
        }
    }

    /// Serves the socket `openPolicySocket` opened; call once privileges are dropped.
    static func startPolicyListener(descriptor: Int32, daemon: DaemonSettings, store: PolicyStore, logger: Logger,
                                    metrics: RelayGuardMetrics) throws -> PolicyListener {
        guard let address = daemon.policySocket else { preconditionFailure("a policy descriptor without policy_socket") }
        let serving = PolicyServing(store: store, logger: logger, metrics: metrics, listenerMetrics: PolicyListenerMetrics(),
                                    timeout: .seconds(Int64(daemon.policyTimeout)))
        let listener = try PolicyListener(descriptor: descriptor, address: address, serving: serving,
                                          maxConnections: daemon.policyMaxConnections,
                                          onClosed: { SignalRelay.notifyPolicyListenerClosed() })
        logger.notice("policy service listening on \(address) policy_max_connections=\(daemon.policyMaxConnections) policy_timeout=\(daemon.policyTimeout)s")
        return listener
    }
}

extension Daemon {
    /// `socket = none`: no milter thread. This thread drops privileges, serves the policy socket and takes the
    /// signals: SIGHUP and SIGUSR1 reload (the next request of every connection answers from the new policy),
    /// SIGTERM and SIGINT stop accepting and let the requests being read be answered.
    static func servePolicyAlone(
        descriptor: Int32, privileges: Privileges.Plan, metricsServer: MetricsServer?, configuration: Configuration,
        path: String?, store: PolicyStore, logger: Logger, metrics: RelayGuardMetrics, reloader: Reloader
    ) throws {
        if case .drop(let account) = privileges {
            try Privileges.drop(to: account)
            logger.notice("running as user \(account.name) (uid \(account.uid), gid \(account.gid))")
        }
        // The event loops start with the signals still blocked, so they inherit the mask.
        let listener = try startPolicyListener(descriptor: descriptor, daemon: configuration.daemon, store: store,
                                               logger: logger, metrics: metrics)
        if let metricsServer {
            try metricsServer.start()
            logger.notice("metrics on http://\(metricsServer.boundDescription)/metrics")
        }
        logger.notice("relayguard \(RelayGuardVersion.string) serving the policy socket alone (socket = none) config=\(path ?? "(embedded default)") mode=\(configuration.policy.mode.rawValue) reroute=\(configuration.policy.reroute ? "yes" : "no")")
        SignalRelay.setBlocked(false)
        defer { SignalRelay.setBlocked(true) }
        while case let signal = SignalRelay.next(), signal != SignalRelay.milterReturned {
            if signal == SignalRelay.policyListenerClosed {
                listener.stop()
                throw PolicyListenerStoppedError()
            }
            switch Int32(signal) {
            case SIGHUP, SIGUSR1:
                reloader.reload()
            case SIGTERM, SIGINT:
                logger.notice("stopping on \(signal == SIGTERM ? "SIGTERM" : "SIGINT"): requests in progress are answered")
                listener.stop()
                logger.notice("relayguard stopped")
                return
            default:
                break
            }
        }
        listener.stop()
    }
}

/// The policy listener's socket closed without a SIGTERM or SIGINT (an `accept` error NIO does not retry): smtpd's
/// policy lookups would fail from then on. `relayguard run` exits 75 (EX_TEMPFAIL), as for `MilterStoppedError`, so
/// that systemd restarts it.
public struct PolicyListenerStoppedError: Error, CustomStringConvertible {
    public var description: String {
        "the policy listener stopped accepting on its own (its error is logged); exiting 75 so that a supervisor restarts relayguard"
    }
}
