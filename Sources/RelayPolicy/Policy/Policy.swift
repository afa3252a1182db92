/// The relay policy: an immutable value built from the config file, asked once per recipient.
///
/// `decide` is pure and synchronous: the same recipient and client always give the same decision, and nothing here
/// does I/O, so every rule is testable without a socket.
public struct Policy: Sendable {
    /// `mode`: enforce answers what the rules say; report answers continue and marks what would be denied.
    public enum Mode: String, Sendable, CaseIterable { case enforce, report }
    /// `reroute_action`, `relay_action`.
    public enum Action: String, Sendable, CaseIterable { case reject, tempfail }
    /// `routed_addresses`: whether percent hacks, bang paths, source routes and quoted `@` count as reroute attempts.
    public enum RoutedAddresses: String, Sendable, CaseIterable { case reroute, ignore }
    /// `on_error`: the answer when a rule cannot decide.
    public enum OnError: String, Sendable, CaseIterable { case tempfail, accept }

    public var mode: Mode = .enforce
    /// `reroute`: whether encapsulated and routed recipients may be rerouted at all (KB 237927's setting).
    public var reroute = false
    public var routedAddresses: RoutedAddresses = .reroute
    /// Upper-cased IMCEA types that are always rejected.
    public var imceaRejectTypes: Set<String> = ["INVALID", "X500"]
    /// Upper-cased IMCEA types that are reroute attempts whatever their payload says (X400 only when a DDA names an
    /// address or its text routes).
    public var imceaRerouteTypes: Set<String> = ["SMTP", "X400"]
    /// Upper-cased IMCEA types whose payload may carry `@`, `%` or `!` without being a reroute attempt: a connector
    /// (Notes, fax, SMS) the admin trusts not to hand mail to the outside.
    public var imceaExemptTypes: Set<String> = []
    public var relayClients = CIDRSet()
    public var relayNever = CIDRSet()
    public var relayAuthenticated = false
    public var relayLocalAddresses = CIDRSet()
    /// nil: every domain is local and plain relaying is left to Postfix.
    public var localDomains: DomainSet?
    /// nil: every recipient in a local domain is accepted.
    public var localRecipients: RecipientSet?
    public var rerouteAction: Action = .reject
    public var relayAction: Action = .reject
    public var rerouteReply = Policy.template("550 5.7.1 <%r>: encapsulated or routed address rejected: rerouting is not allowed", "5")
    public var rerouteTempfailReply = Policy.template("450 4.7.1 <%r>: encapsulated or routed address rejected: rerouting is not allowed", "4")
    public var relayReply = Policy.template("554 5.7.1 <%r>: Relay access denied", "5")
    public var relayTempfailReply = Policy.template("450 4.7.1 <%r>: Relay access denied", "4")
    public var onError: OnError = .tempfail
    /// What `on_error = tempfail` answers.
    public var errorReply = Policy.template("451 4.3.0 <%r>: relay policy temporarily unavailable, try again later", "4")

    static let tooDeepReply = Policy.template("550 5.1.1 <%r>: Recipient address rejected: encapsulation nested too deep", "5")
    static let unknownRecipientReply = Policy.template("550 5.1.1 <%r>: Recipient address rejected: User unknown", "5")

    public init() {}

    /// True when at least one way to be allowed to relay is configured.
    public var hasRelayRestrictions: Bool {
        !relayClients.isEmpty || relayAuthenticated || !relayLocalAddresses.isEmpty
    }

    /// Decides one recipient, `raw` as the MTA sent it (angle brackets and all).
    public func decide(_ raw: String, client: Client) -> Decision {
        decision(for: AddressDecoder.decode(raw), client: client)
    }

    /// Decides a recipient the MTA sent as `raw` and parsed as `parsed` (Postfix's `{rcpt_addr}`, the address it
    /// delivers to). The relay and unknown-recipient rules judge `parsed` alone: RFC 822 syntax in the raw argument
    /// (`<<a>>`, `<Joe <a>>`, comments) is not the domain mail goes to. The encapsulation and routing rules judge both,
    /// and the stricter answer wins, so that syntax hides nothing from them.
    ///
    /// The raw argument is also read as Postfix's own RFC 822 parser reads it (the `recipient` smtpd hands a policy
    /// service), where that differs from the decoder's reading: to Postfix, `""@a:b` is a source route. So the milter
    /// denies whatever a policy service on the same Postfix would. A front end that has no raw argument passes the
    /// parsed address as both (`parsed == raw`), and nothing is read twice.
    public func decide(_ raw: String, parsed: String?, client: Client) -> Decision {
        let rawAddress = AddressDecoder.decode(raw)
        let hasArgument = parsed.map { $0.utf8.count != raw.utf8.count || $0 != raw } ?? true
        let postfixReading = hasArgument ? rerouteDenial(ofPostfixReading: raw, besides: rawAddress, client: client) : nil
        guard let parsed, !parsed.isEmpty, parsed != rawAddress.recipient else {
            var decision = decision(for: rawAddress, client: client)
            Self.raise(&decision, to: postfixReading)
            return decision
        }
        var delivered = AddressDecoder.decode(parsed)
        // RFC 5321 4.5.1: `postmaster` with no domain is this server's, whatever hostname Postfix's resolver appends.
        if Self.isPostmaster(rawAddress), rawAddress.domain.isEmpty, Self.isPostmaster(delivered) { delivered = rawAddress }
        let second = decision(for: delivered, client: client)
        var first = decision(for: rawAddress, client: client, rerouteRulesOnly: true)
        Self.raise(&first, to: postfixReading)
        // A reroute rule that answered the raw text at least as strictly keeps it (a denial's reply quotes what the
        // client sent; an allowed reroute is named as one); otherwise the delivered address names the rule.
        return first.rule != .pass && first.severity >= second.severity ? first : second
    }

    /// The reroute rules' denial of `raw` as Postfix's parser reads it, when that reading is another address than
    /// the decoder's and is denied.
    private func rerouteDenial(ofPostfixReading raw: String, besides rawAddress: DecodedAddress, client: Client) -> Decision? {
        guard let text = PostfixAddressParser.extractedAddress(raw), text != rawAddress.recipient else { return nil }
        let reading = decision(for: AddressDecoder.decode(text), client: client, rerouteRulesOnly: true)
        return reading.denies ? reading : nil
    }

    /// Replaces `decision` with `other` when that answers more severely; in place, so that neither is copied.
    private static func raise(_ decision: inout Decision, to other: Decision?) {
        if let other, other.severity > decision.severity { decision = other }
    }

    /// Decides an already decoded recipient.
    public func decide(_ address: DecodedAddress, client: Client) -> Decision {
        decision(for: address, client: client)
    }

    // `consuming` down to the Decision: the decoded address moves into it instead of being copied (a retain and a
    // release of each of its strings) and the original destroyed.
    // `rerouteRulesOnly`: steps 1 and 2 alone, for the raw text of a recipient whose parsed address is decided fully.
    private func decision(for address: consuming DecodedAddress, client: Client, rerouteRulesOnly: Bool = false) -> Decision {
        // 1. Types no one may send to, whoever the client is; and nesting too deep to see what is inside.
        if address.depthExceeded {
            return deny(address, .imceaRejectType, action: .reject, reject: Self.tooDeepReply, tempfail: Self.tooDeepReply)
        }
        if let layer = address.layers.first(where: { imceaRejectTypes.contains($0.type) }) {
            return deny(address, .imceaRejectType, action: .reject,
                        reject: Self.imceaTypeReply(layer.type), tempfail: Self.imceaTypeReply(layer.type))
        }
        // 2. Encapsulated or routed: KB 237927's reroute rules.
        if isRerouteAttempt(address) {
            guard reroute else {
                return deny(address, .rerouteDisabled, action: rerouteAction, reject: rerouteReply, tempfail: rerouteTempfailReply)
            }
            switch restriction(for: client) {
            case .allowed: return pass(address, .rerouteAllowed)
            case .never: return deny(address, .rerouteNever, action: rerouteAction, reject: rerouteReply, tempfail: rerouteTempfailReply)
            case .denied: return deny(address, .rerouteDenied, action: rerouteAction, reject: rerouteReply, tempfail: rerouteTempfailReply)
            case .undecidable: return undecidable(address)
            }
        }
        if rerouteRulesOnly { return pass(address, .pass) }
        // 3. Plain relaying to a domain that is not ours; a bare `postmaster` is ours (RFC 5321 4.5.1).
        if let localDomains, address.form != .null, !localDomains.contains(address.domain),
           !(address.domain.isEmpty && Self.isPostmaster(address)) {
            switch restriction(for: client) {
            case .allowed: return pass(address, .relayAllowed)
            case .never: return deny(address, .relayNever, action: relayAction, reject: relayReply, tempfail: relayTempfailReply)
            case .denied: return deny(address, .relayDenied, action: relayAction, reject: relayReply, tempfail: relayTempfailReply)
            case .undecidable: return undecidable(address)
            }
        }
        // 4. Only the global address list is delivered when rerouting is off. An encapsulated recipient is not in it
        //    (unless listed as written): the server behind would bounce it, maybe to a forged sender. Postmaster is
        //    always delivered (RFC 5321 section 4.5.1).
        if let localRecipients, !reroute, address.form != .null,
           !localRecipients.contains(localPart: address.localPart, domain: address.domain), !Self.isPostmaster(address) {
            return deny(address, .unknownRecipient, action: .reject,
                        reject: Self.unknownRecipientReply, tempfail: Self.unknownRecipientReply)
        }
        return pass(address, .pass)
    }

    /// An IMCEA layer of a type in `imcea_reroute_types` (X400 only when it names an address), an IMCEA layer of any
    /// type not in `imcea_exempt_types` whose payload routes, or a routed form when routed addresses count.
    public func isRerouteAttempt(_ address: DecodedAddress) -> Bool {
        // Exchange hands a payload to the connector for its type (Notes, fax, SMS, ...), and some reach the outside:
        // a payload that names another hop is a reroute attempt whatever the type, unless the admin exempts it.
        if address.layers.contains(where: {
            (imceaRerouteTypes.contains($0.type) && ($0.type != "X400" || $0.smtpAddress != nil || $0.payloadRoutes))
                || ($0.payloadRoutes && !imceaExemptTypes.contains($0.type))
        }) {
            return true
        }
        guard routedAddresses == .reroute else { return false }
        if address.form.isRouted { return true }
        // An IMCEA local part encodes `@`, `%` and `!` as +HH; raw ones route the outer address (Postfix's percent
        // hack and bang paths apply to `IMCEAEX-victim%elsewhere.com@local` whatever the type says).
        guard !address.layers.isEmpty else { return false }
        // The byte, as Postfix reads it: `hasPrefix("@")` compares Characters, and "@" followed by a combining mark is
        // another Character.
        if address.recipient.utf8.first == ASCII.at { return true }
        // Over the contiguous UTF-8: String.UTF8View pays an index step per byte, on every IMCEA recipient.
        var localPart = address.localPart
        return localPart.withUTF8 { $0.contains { $0 == ASCII.at || $0 == ASCII.percent || $0 == ASCII.bang } }
    }

    /// `postmaster`, any case, neither encapsulated nor routed: RFC 5321 4.5.1 requires a server to accept it.
    static func isPostmaster(_ address: DecodedAddress) -> Bool {
        guard address.layers.isEmpty, address.form == .plain else { return false }
        var localPart = address.localPart
        return localPart.withUTF8 { bytes in
            bytes.count == 10 && zip(bytes, "postmaster".utf8).allSatisfy { ($0 | 0x20) == $1 }
        }
    }

    enum Restriction { case allowed, never, denied, undecidable }

    /// The relay restrictions, in KB 237927's order: the NEVER list first, then any one way in.
    func restriction(for client: Client) -> Restriction {
        // The NEVER list beats every way in, so without an address to check against it nothing may be allowed, not
        // even an authenticated client or one on a relay_local_addresses listener.
        if client.ip == nil, !relayNever.isEmpty { return .undecidable }
        if client.address == .missing, !relayClients.isEmpty { return .undecidable }
        let ip = client.ip
        if relayNever.contains(ip) { return .never }
        if relayClients.contains(ip) { return .allowed }
        if relayAuthenticated, client.isAuthenticated { return .allowed }
        if relayLocalAddresses.contains(client.localAddress) { return .allowed }
        return .denied
    }

    private func pass(_ address: consuming DecodedAddress, _ rule: Rule) -> Decision {
        Decision(verdict: .continue, reply: nil, rule: rule, address: address, wouldDeny: false)
    }

    private func deny(_ address: consuming DecodedAddress, _ rule: Rule, action: Action, reject: ReplyTemplate, tempfail: ReplyTemplate) -> Decision {
        let template = action == .reject ? reject : tempfail
        let reply = template.expand(recipient: address.recipient)
        if mode == .report {
            return Decision(verdict: .continue, reply: reply, rule: rule, address: address, wouldDeny: true)
        }
        return Decision(verdict: action == .reject ? .reject : .tempfail, reply: reply, rule: rule, address: address, wouldDeny: false)
    }

    /// The `on_error` answer for a recipient the rules cannot decide.
    public func undecidable(_ address: DecodedAddress) -> Decision {
        switch onError {
        case .accept: return pass(address, .onError)
        case .tempfail: return deny(address, .onError, action: .tempfail, reject: errorReply, tempfail: errorReply)
        }
    }

    static func imceaTypeReply(_ type: String) -> ReplyTemplate {
        let clean = String(type.unicodeScalars.filter { $0.isASCII && $0.value > 0x20 && $0 != "%" && $0.value != 0x7F }.prefix(32).map(Character.init))
        return template("550 5.1.1 <%r>: Recipient address rejected: encapsulated address type \(clean) is not accepted", "5")
    }

    static func template(_ text: String, _ replyClass: Character) -> ReplyTemplate {
        // Built-in texts are constants checked by the tests; a failure here is a programming error.
        do { return try ReplyTemplate(parsing: text, class: replyClass) } catch { preconditionFailure("\(error)") }
    }
}
