/// What the milter answers for one recipient.
public enum Verdict: String, Sendable, Equatable {
    case `continue`
    case reject
    case tempfail
}

/// Which rule made a decision. The raw value is what logs, `explain` and metrics print.
public enum Rule: String, Sendable, CaseIterable {
    /// An IMCEA type listed in `imcea_reject_types`.
    case imceaRejectType = "imcea-reject-type"
    /// A reroute attempt while `reroute = no`.
    case rerouteDisabled = "reroute-disabled"
    /// A reroute attempt from a client in `relay_never`.
    case rerouteNever = "reroute-never"
    /// A reroute attempt from a client outside the relay restrictions.
    case rerouteDenied = "reroute-denied"
    /// A reroute attempt from a client inside the relay restrictions.
    case rerouteAllowed = "reroute-allowed"
    /// A plain recipient outside `local_domains` from a client in `relay_never`.
    case relayNever = "relay-never"
    /// A plain recipient outside `local_domains` from a client outside the relay restrictions.
    case relayDenied = "relay-denied"
    /// A plain recipient outside `local_domains` from a client inside the relay restrictions.
    case relayAllowed = "relay-allowed"
    /// A plain recipient in a local domain that is not in `local_recipients`.
    case unknownRecipient = "unknown-recipient"
    /// A rule needed something RelayGuard does not know (the client address); `on_error` answered.
    case onError = "on-error"
    /// Nothing applied.
    case pass = "pass"
}

/// An SMTP reply: `550 5.7.1 <x@y>: Relay access denied`.
public struct Reply: Sendable, Equatable, CustomStringConvertible {
    /// The three-digit code, e.g. `550`.
    public var code: String
    /// The enhanced status code, e.g. `5.7.1`, or nil.
    public var xcode: String?
    /// The text after the codes.
    public var text: String

    public init(code: String, xcode: String?, text: String) {
        self.code = code
        self.xcode = xcode
        self.text = text
    }

    /// `550 5.7.1 text`: the non-empty parts, space-separated. Built piece by piece: the decision log asks for it
    /// once per refused recipient.
    public var description: String {
        var out = code
        func append(_ part: String) {
            guard !part.isEmpty else { return }
            if !out.isEmpty { out += " " }
            out += part
        }
        append(xcode ?? "")
        append(text)
        return out
    }
}

/// The policy's answer for one recipient.
public struct Decision: Sendable, Equatable {
    /// What the milter answers. In report mode a denial answers `.continue` and sets `wouldDeny`.
    public var verdict: Verdict
    /// The reply sent with a reject or tempfail, or the one that would have been sent in report mode.
    public var reply: Reply?
    /// The rule that decided.
    public var rule: Rule
    /// The decoded recipient.
    public var address: DecodedAddress
    /// Report mode: the recipient would have been denied.
    public var wouldDeny: Bool

    public init(verdict: Verdict, reply: Reply?, rule: Rule, address: DecodedAddress, wouldDeny: Bool) {
        self.verdict = verdict
        self.reply = reply
        self.rule = rule
        self.address = address
        self.wouldDeny = wouldDeny
    }

    /// Orders decisions by how much they refuse: reject, then tempfail, then a report-mode would-deny, then continue.
    public var severity: Int {
        switch verdict {
        case .reject: 3
        case .tempfail: 2
        case .continue: wouldDeny ? 1 : 0
        }
    }

    /// True when the recipient is (or in report mode would be) refused.
    public var denies: Bool { verdict != .continue || wouldDeny }
}
