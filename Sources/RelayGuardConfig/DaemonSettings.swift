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
    /// False for `socket = none`: `relayguard run` serves `policySocket` alone.
    public var serveMilter = true
    /// Where `relayguard run` answers Postfix's policy delegation protocol; nil is off.
    public var policySocket: ListenSocket?
    /// Policy connections served at once; the next one is closed at accept.
    public var policyMaxConnections = 1000
    /// Seconds a policy connection may go without completing a request.
    public var policyTimeout = 330

    public init() {}

    /// The syslog facilities `syslog_facility` accepts.
    public static let facilities = ["mail", "daemon", "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]
}
