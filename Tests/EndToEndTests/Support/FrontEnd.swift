import Testing

/// The ways a Postfix smtpd asks RelayGuard; the parameterised end-to-end suites run every case through each.
enum FrontEnd: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `relayguard run`'s milter socket in `smtpd_milters`: asked after smtpd's restriction lists, sees the raw
    /// `RCPT TO:` argument.
    case milter
    /// `relayguard run`'s `policy_socket` on a unix socket, `check_policy_service unix:/path` first in
    /// `smtpd_relay_restrictions`: sees Postfix's parsed address.
    case policyUnix = "policy-unix"
    /// The same on a loopback port, `check_policy_service inet:127.0.0.1:PORT`.
    case policyInet = "policy-inet"
    /// `relayguard policy` under spawn(8) (master.cf), `check_policy_service unix:private/NAME`.
    case spawn

    var testDescription: String { rawValue }

    /// A policy delegation front end: asked first in `smtpd_relay_restrictions`, before Postfix's own checks.
    var isPolicy: Bool { self != .milter }

    /// Where `relayguard run` serves the policy socket for this front end; nil for the milter and spawn.
    var policyListen: RelayGuardProcess.PolicyListen? {
        switch self {
        case .policyUnix: .unix
        case .policyInet: .inet
        case .milter, .spawn: nil
        }
    }

    /// The front ends the suites run.
    static let tested = allCases
}
