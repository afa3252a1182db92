/// How the milter listens and what it asks the MTA for.
public struct MilterConfiguration: Sendable {
    /// The filter name, used in libmilter's log lines.
    public var name: String
    /// Where to listen.
    public var socket: MilterListenAddress
    /// Permissions for a unix socket (e.g. `0o660`), given at bind time through the umask: nothing changes the
    /// socket's path afterwards. Only valid with a unix socket.
    public var socketMode: UInt16?
    /// Seconds libmilter waits on the MTA for I/O (`smfi_settimeout`); libmilter's default is 7210.
    public var timeout: Int32?
    /// Listen backlog (`smfi_setbacklog`), must be positive; libmilter's default is SOMAXCONN.
    public var backlog: Int32?
    /// Macro names to request per stage during negotiation, e.g.
    /// `[.connect: ["{client_addr}", "{daemon_addr}"], .mail: ["{auth_authen}", "i"], .rcpt: ["i"]]`.
    ///
    /// These are also the only names ``MilterMacros`` carries, each at the stage it is listed for (a
    /// name needed at two stages is listed at both). With Postfix, a stage listed here gets exactly these macros instead of its
    /// `milter_*_macros` setting; a stage not listed keeps Postfix's setting. Names must be non-empty and
    /// contain no whitespace.
    public var macros: [MilterStage: [String]]

    /// Creates a configuration; unset tuning values keep libmilter's defaults.
    public init(
        name: String,
        socket: MilterListenAddress,
        socketMode: UInt16? = nil,
        timeout: Int32? = nil,
        backlog: Int32? = nil,
        macros: [MilterStage: [String]] = [:]
    ) {
        self.name = name
        self.socket = socket
        self.socketMode = socketMode
        self.timeout = timeout
        self.backlog = backlog
        self.macros = macros
    }
}
