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
    /// Stages the session always answers with continue: `connect`, `helo` and `mail` may be listed. They are
    /// negotiated as "no reply" (SMFIP_NR_*), so the MTA sends them without waiting for an answer and puts off its
    /// write until the next stage that needs one: a round trip saved per stage listed, on every connection. The
    /// session's callbacks still run and see their macros. Should one of them refuse anyway (reject, tempfail), that
    /// verdict is given at every later answered stage of the connection (fail closed, never dropped); accept and
    /// discard there have no effect. If no session can be made at such a stage (allocation failure), the first answered
    /// stage makes one, which has seen no connect and answers as such a session does.
    public var unansweredStages: Set<MilterStage>

    /// Creates a configuration; unset tuning values keep libmilter's defaults.
    public init(
        name: String,
        socket: MilterListenAddress,
        socketMode: UInt16? = nil,
        timeout: Int32? = nil,
        backlog: Int32? = nil,
        macros: [MilterStage: [String]] = [:],
        unansweredStages: Set<MilterStage> = []
    ) {
        self.name = name
        self.socket = socket
        self.socketMode = socketMode
        self.timeout = timeout
        self.backlog = backlog
        self.macros = macros
        self.unansweredStages = unansweredStages
    }
}
