import Testing

/// The ways a Postfix smtpd asks RelayGuard; the parameterised end-to-end suites run every case through each.
enum FrontEnd: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `relayguard run`'s milter socket in `smtpd_milters`: asked after smtpd's restriction lists, sees the raw
    /// `RCPT TO:` argument.
    case milter
    /// `relayguard policy` under spawn(8) (master.cf), `check_policy_service unix:private/NAME` first in
    /// `smtpd_relay_restrictions`: sees Postfix's parsed address.
    case spawn

    var testDescription: String { rawValue }

    /// A policy delegation front end: asked first in `smtpd_relay_restrictions`, before Postfix's own checks.
    var isPolicy: Bool { self != .milter }
}
