/// The settings of the running milter that are not policy.
public struct DaemonSettings: Sendable, Equatable {
    /// Where the milter listens.
    public enum LogTarget: String, Sendable, CaseIterable { case stderr, syslog }
    /// Lowest level logged.
    public enum LogLevel: String, Sendable, CaseIterable { case debug, info, notice, warning, error }

    public var socket = ListenSocket.inet(port: 8894, host: "127.0.0.1")
    /// Permissions of a unix socket.
    public var socketMode: UInt16 = 0o660
    /// Seconds libmilter waits for the MTA's next command on a connection before closing it (`smfi_settimeout`).
    public var timeout = 7210
    public var log: LogTarget = .stderr
    public var syslogFacility = "mail"
    public var logLevel: LogLevel = .info
    /// The user to switch to after opening the socket, when started as root.
    public var user: String?
    /// Where Prometheus metrics are served over HTTP; nil is off.
    public var metricsListen: ListenSocket?

    public init() {}

    /// The syslog facilities `syslog_facility` accepts.
    public static let facilities = ["mail", "daemon", "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]
}
