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
    /// Serves standard input until end of file.
    public static func run(configuration: Configuration) throws(PolicyConnectionError) {
        // A write to a connection smtpd closed must fail with EPIPE, not kill the process mid-log.
        signal(SIGPIPE, SIG_IGN)
        let logger = makeLogger(configuration.daemon, stderrIsConnection: stderrIsConnection())
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let answerer = PolicyAnswerer(store: PolicyStore(configuration.policy), logger: logger, session: UInt64(getpid()))
        let connection = PolicyConnection(answerer: answerer)
        try connection.serve(input: STDIN_FILENO, output: STDOUT_FILENO)
    }

    /// `log = stderr` writes to standard error, unless standard error is the connection itself: spawn(8) connects
    /// standard input, output and error to smtpd, which would read a log line as a malformed answer and defer the
    /// recipient. Then the lines go to syslog.
    static func makeLogger(_ daemon: DaemonSettings, stderrIsConnection: Bool) -> Logger {
        let target: LineLogHandler.Target = daemon.log == .syslog || stderrIsConnection ? .syslog : .stderr
        if target == .syslog { LineLogHandler.openSyslog(facility: daemon.syslogFacility) }
        let level = Logger.Level(rawValue: daemon.logLevel.rawValue) ?? .info
        var logger = Logger(label: "relayguard") { _ in LineLogHandler(target: target, level: level) }
        logger.logLevel = level
        return logger
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
