#if canImport(Glibc)
import Glibc
#endif
import Logging
import PolicyFrontEnd
import RelayGuardConfig
import RelayGuardCore

/// `relayguard policy`: one policy delegation connection on standard input and output, as Postfix's spawn(8)
/// starts it, one process per connection. The config is read once at start: a changed config reaches the
/// connections Postfix opens after it (smtpd closes idle ones after `smtpd_policy_service_max_idle`, all after
/// `smtpd_policy_service_max_ttl`).
public enum PolicyService {
    /// Serves standard input until end of file: on NIO for a pipe or a socket (`PolicyPipe`), with the blocking loop
    /// for anything else (a file redirected in by hand). No metrics: nothing could scrape a process per connection.
    /// - Throws: `SystemCallError` from the loop, or what NIO throws taking the descriptors over.
    public static func run(configuration: Configuration) throws {
        // A write to a connection smtpd closed must fail with EPIPE, not kill the process mid-log.
        signal(SIGPIPE, SIG_IGN)
        // `log = stderr` writes to standard error, unless standard error is the connection itself: spawn(8) connects
        // standard input, output and error to smtpd, which would read a log line as a malformed answer and defer
        // the recipient. Then the lines go to syslog.
        let logger = LineLogHandler.logger(configuration.daemon, forceSyslog: stderrIsConnection())
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let store = PolicyStore(configuration.policy)
        let session = UInt64(getpid())
        guard PolicyPipe.canServe(input: STDIN_FILENO, output: STDOUT_FILENO) else {
            let connection = PolicyConnection(answerer: PolicyAnswerer(store: store, logger: logger, session: session))
            return try connection.serve(input: STDIN_FILENO, output: STDOUT_FILENO)
        }
        let serving = PolicyServing(store: store, logger: logger, metrics: RelayGuardMetrics(),
                                    listenerMetrics: PolicyListenerMetrics(),
                                    timeout: .seconds(Int64(configuration.daemon.policyTimeout)))
        try PolicyPipe.serve(input: STDIN_FILENO, output: STDOUT_FILENO, serving: serving, session: session)
    }

    /// True when standard error is the socket standard output is.
    static func stderrIsConnection() -> Bool { isSameSocket(STDOUT_FILENO, STDERR_FILENO) }

    /// True when both descriptors are open on one socket (the same device and inode).
    static func isSameSocket(_ first: Int32, _ second: Int32) -> Bool {
        var one = stat()
        var two = stat()
        guard fstat(first, &one) == 0, fstat(second, &two) == 0 else { return false }
        return one.st_dev == two.st_dev && one.st_ino == two.st_ino && (one.st_mode & S_IFMT) == S_IFSOCK
    }
}
