/// One problem `check-postfix` found: where it is, what to write instead, and why it matters.
public struct Finding: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable {
        /// Mail can pass RelayGuard unexamined, or be relayed although RelayGuard refuses it.
        case error
        /// Works, but costs mail (false refusals, dropped connections) or round trips.
        case warning
    }

    public var severity: Severity
    /// A stable name for scripts (`milter-missing`, `service-overrides-milters`...).
    public var code: String
    /// `main.cf: smtpd_milters`, `master.cf: submission/inet`, `relayguard.conf: local_domains`.
    public var location: String
    public var problem: String
    /// The command or line that fixes it.
    public var fix: String
    public var why: String

    public init(_ severity: Severity, _ code: String, at location: String, _ problem: String, fix: String, why: String) {
        self.severity = severity
        self.code = code
        self.location = location
        self.problem = problem
        self.fix = fix
        self.why = why
    }
}
