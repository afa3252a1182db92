import RelayPolicy
import Testing

/// The policy's rules, one named case a row: a policy, a client, a recipient, and the exact answer.
struct PolicyTests {
    static let imcea = "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>"
    static let outside = Client(address: .known(ip("203.0.113.9")))
    static let peer = Client(address: .known(ip("192.0.2.10")))

    static func ip(_ text: String) -> IPAddress {
        guard let ip = IPAddress(text) else { preconditionFailure("bad test address \(text)") }
        return ip
    }

    static func cidrs(_ texts: String...) -> CIDRSet {
        CIDRSet(texts.compactMap { try? CIDRPrefix(parsing: $0) })
    }

    static func policy(_ change: (inout Policy) -> Void = { _ in }) -> Policy {
        var policy = Policy()
        change(&policy)
        return policy
    }

    static let siteConnector = policy {
        $0.reroute = true
        $0.relayClients = cidrs("192.0.2.0/24")
        $0.relayNever = cidrs("192.0.2.66")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let policy: Policy
        let client: Client
        let recipient: String
        let verdict: Verdict
        let rule: Rule
        let reply: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plain local recipient passes", policy: policy(), client: outside, recipient: "<alice@corp.example>",
             verdict: .continue, rule: .pass, reply: nil),
        Case(name: "IMCEASMTP with reroute = no is rejected (KB 237927)", policy: policy(), client: peer, recipient: imcea,
             verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "reroute_action = tempfail answers 450", policy: policy { $0.rerouteAction = .tempfail }, client: outside, recipient: imcea,
             verdict: .tempfail, rule: .rerouteDisabled,
             reply: "450 4.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "percent hack is a reroute attempt", policy: policy(), client: outside, recipient: "<victim%elsewhere.com@corp.example>",
             verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <victim%elsewhere.com@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "routed_addresses = ignore lets the percent hack through", policy: policy { $0.routedAddresses = .ignore },
             client: outside, recipient: "<victim%elsewhere.com@corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "X500 is always rejected, even from an allowed client", policy: siteConnector, client: peer,
             recipient: "<IMCEAX500-_O=CONTOSO_CN=x@corp.example>", verdict: .reject, rule: .imceaRejectType,
             reply: "550 5.1.1 <IMCEAX500-_O=CONTOSO_CN=x@corp.example>: Recipient address rejected: encapsulated address type X500 is not accepted"),
        Case(name: "INVALID is always rejected", policy: policy(), client: outside, recipient: "<IMCEAINVALID-x@corp.example>",
             verdict: .reject, rule: .imceaRejectType,
             reply: "550 5.1.1 <IMCEAINVALID-x@corp.example>: Recipient address rejected: encapsulated address type INVALID is not accepted"),
        Case(name: "EX legacy DN is delivered", policy: policy(), client: outside, recipient: "<IMCEAEX-_O=CONTOSO_CN=RECIPIENTS_CN=bob@corp.example>",
             verdict: .continue, rule: .pass, reply: nil),
        Case(name: "X400 without an SMTP target is not a reroute attempt", policy: policy(), client: outside,
             recipient: "<IMCEAX400-c=US;a=+20;p=Contoso;o=Exchange;s=Bob;@corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "X400 with dda:SMTP is a reroute attempt", policy: policy(), client: outside,
             recipient: "<IMCEAX400-c=US;a=+20;p=Contoso;o=Exchange;dda+3ASMTP=victim+40elsewhere+2Ecom;@corp.example>",
             verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEAX400-c=US;a=+20;p=Contoso;o=Exchange;dda+3ASMTP=victim+40elsewhere+2Ecom;@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "X400 with a TAB before the dda key is a reroute attempt (issue 10)", policy: policy(), client: outside,
             recipient: "<IMCEAX400-c=US+3Ba=+20+3Bp=Org+3Bo=Site+3Bs=victim+3B+09dda+3ASMTP=victim+40elsewhere+2Ecom@corp.test>",
             verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEAX400-c=US+3Ba=+20+3Bp=Org+3Bo=Site+3Bs=victim+3B+09dda+3ASMTP=victim+40elsewhere+2Ecom@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "X400 whose text routes outside a DDA fails closed", policy: policy(), client: outside,
             recipient: "<IMCEAX400-c=US;s=victim+40elsewhere+2Ecom@corp.test>", verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEAX400-c=US;s=victim+40elsewhere+2Ecom@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "X400 with a routing DDA is a reroute attempt even when X400 is not a reroute type",
             policy: policy { $0.imceaRerouteTypes = ["SMTP"] }, client: outside,
             recipient: "<IMCEAX400-c=US;dda+3ANOTES=victim+28a+29elsewhere+2Ecom@corp.test>", verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEAX400-c=US;dda+3ANOTES=victim+28a+29elsewhere+2Ecom@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "NOTES whose payload routes is a reroute attempt (issue 10)", policy: policy(), client: outside,
             recipient: "<IMCEANOTES-victim+40elsewhere+2Ecom@corp.test>", verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEANOTES-victim+40elsewhere+2Ecom@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "FAX whose payload routes is a reroute attempt", policy: policy(), client: outside,
             recipient: "<IMCEAFAX-victim+25elsewhere+2Ecom@corp.test>", verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEAFAX-victim+25elsewhere+2Ecom@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "MOBILE whose payload routes is a reroute attempt", policy: policy(), client: outside,
             recipient: "<IMCEAMOBILE-elsewhere+2Ecom+21victim@corp.test>", verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEAMOBILE-elsewhere+2Ecom+21victim@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "a payload that routes may reroute from a relay client", policy: siteConnector, client: peer,
             recipient: "<IMCEANOTES-victim+40elsewhere+2Ecom@corp.test>", verdict: .continue, rule: .rerouteAllowed, reply: nil),
        Case(name: "imcea_exempt_types lets a connector type's payload through", policy: policy { $0.imceaExemptTypes = ["NOTES"] },
             client: outside, recipient: "<IMCEANOTES-Bob+20Smith_Contoso+40contoso@corp.test>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "an exempt type is exempt only from the payload rule", policy: policy { $0.imceaExemptTypes = ["NOTES"] },
             client: outside, recipient: "<IMCEANOTES-victim%elsewhere.com@corp.test>", verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEANOTES-victim%elsewhere.com@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "exempting one type leaves the others", policy: policy { $0.imceaExemptTypes = ["NOTES"] }, client: outside,
             recipient: "<IMCEAFAX-victim+40elsewhere+2Ecom@corp.test>", verdict: .reject, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEAFAX-victim+40elsewhere+2Ecom@corp.test>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "a legacyExchangeDN carries no routing character and passes (issue 10)", policy: policy(), client: outside,
             recipient: "<IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=alice@corp.test>",
             verdict: .continue, rule: .pass, reply: nil),
        Case(name: "a FAX number carries no routing character and passes", policy: policy(), client: outside,
             recipient: "<IMCEAFAX-+2B1+20555+201234@corp.test>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "site connector peer in relay_clients may reroute", policy: siteConnector, client: peer, recipient: imcea,
             verdict: .continue, rule: .rerouteAllowed, reply: nil),
        Case(name: "client outside relay_clients may not reroute", policy: siteConnector, client: outside, recipient: imcea,
             verdict: .reject, rule: .rerouteDenied,
             reply: "550 5.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "relay_never beats relay_clients", policy: siteConnector, client: Client(address: .known(ip("192.0.2.66"))), recipient: imcea,
             verdict: .reject, rule: .rerouteNever,
             reply: "550 5.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "IPv4-mapped client matches an IPv4 relay_clients prefix", policy: siteConnector,
             client: Client(address: .known(ip("::ffff:192.0.2.10"))), recipient: imcea, verdict: .continue, rule: .rerouteAllowed, reply: nil),
        Case(name: "IPv6 client in an IPv6 prefix may reroute", policy: policy { $0.reroute = true; $0.relayClients = cidrs("2001:db8::/32") },
             client: Client(address: .known(ip("2001:db8::5"))), recipient: imcea, verdict: .continue, rule: .rerouteAllowed, reply: nil),
        Case(name: "unknown client address matches no network",
             policy: policy { $0.reroute = true; $0.relayClients = cidrs("192.0.2.0/24") }, client: Client(address: .unknown), recipient: imcea,
             verdict: .reject, rule: .rerouteDenied,
             reply: "550 5.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "missing client address where policy needs it answers on_error (tempfail)", policy: siteConnector,
             client: Client(address: .missing), recipient: imcea, verdict: .tempfail, rule: .onError,
             reply: "451 4.3.0 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: relay policy temporarily unavailable, try again later"),
        Case(name: "on_error = accept lets an undecidable recipient through", policy: policy {
                 $0.reroute = true; $0.relayClients = cidrs("192.0.2.0/24"); $0.onError = .accept
             }, client: Client(address: .missing), recipient: imcea, verdict: .continue, rule: .onError, reply: nil),
        Case(name: "missing client address does not matter when no rule needs it", policy: policy(), client: Client(address: .missing),
             recipient: "<alice@corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "authenticated client may reroute with relay_authenticated", policy: policy { $0.reroute = true; $0.relayAuthenticated = true },
             client: Client(address: .known(ip("203.0.113.9")), authenticatedUser: "bob"), recipient: imcea,
             verdict: .continue, rule: .rerouteAllowed, reply: nil),
        Case(name: "empty login name is not authenticated", policy: policy { $0.reroute = true; $0.relayAuthenticated = true },
             client: Client(address: .known(ip("203.0.113.9")), authenticatedUser: ""), recipient: imcea,
             verdict: .reject, rule: .rerouteDenied,
             reply: "550 5.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "client on a relay_local_addresses listener may reroute",
             policy: policy { $0.reroute = true; $0.relayLocalAddresses = cidrs("10.0.0.25") },
             client: Client(address: .known(ip("203.0.113.9")), localAddress: ip("10.0.0.25")), recipient: imcea,
             verdict: .continue, rule: .rerouteAllowed, reply: nil),
        Case(name: "relay_never beats authentication", policy: policy {
                 $0.reroute = true; $0.relayAuthenticated = true; $0.relayNever = cidrs("203.0.113.0/24")
             }, client: Client(address: .known(ip("203.0.113.9")), authenticatedUser: "bob"), recipient: imcea,
             verdict: .reject, rule: .rerouteNever,
             reply: "550 5.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "relay_never with an unknown client answers on_error even when it authenticated (issue 10)", policy: policy {
                 $0.reroute = true; $0.relayAuthenticated = true; $0.relayNever = cidrs("203.0.113.0/24")
             }, client: Client(address: .unknown, authenticatedUser: "bob"), recipient: imcea, verdict: .tempfail, rule: .onError,
             reply: "451 4.3.0 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: relay policy temporarily unavailable, try again later"),
        Case(name: "relay_never with a missing client answers on_error even on a relay_local_addresses listener", policy: policy {
                 $0.reroute = true; $0.relayLocalAddresses = cidrs("10.0.0.25"); $0.relayNever = cidrs("203.0.113.0/24")
             }, client: Client(address: .missing, localAddress: ip("10.0.0.25")), recipient: imcea, verdict: .tempfail, rule: .onError,
             reply: "451 4.3.0 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: relay policy temporarily unavailable, try again later"),
        Case(name: "relay_never with an unknown client answers on_error for plain relaying too", policy: policy {
                 $0.localDomains = DomainSet(["corp.example"]); $0.relayLocalAddresses = cidrs("10.0.0.25"); $0.relayNever = cidrs("203.0.113.0/24")
             }, client: Client(address: .unknown, localAddress: ip("10.0.0.25")), recipient: "<bob@elsewhere.example>",
             verdict: .tempfail, rule: .onError,
             reply: "451 4.3.0 <bob@elsewhere.example>: relay policy temporarily unavailable, try again later"),
        Case(name: "relay_never with an unknown client and on_error = accept continues", policy: policy {
                 $0.reroute = true; $0.relayAuthenticated = true; $0.relayNever = cidrs("203.0.113.0/24"); $0.onError = .accept
             }, client: Client(address: .unknown, authenticatedUser: "bob"), recipient: imcea, verdict: .continue, rule: .onError, reply: nil),
        Case(name: "without relay_never an unknown authenticated client may reroute", policy: policy {
                 $0.reroute = true; $0.relayAuthenticated = true
             }, client: Client(address: .unknown, authenticatedUser: "bob"), recipient: imcea, verdict: .continue, rule: .rerouteAllowed,
             reply: nil),
        Case(name: "relay_never does not matter to a recipient no restriction applies to", policy: policy {
                 $0.reroute = true; $0.relayAuthenticated = true; $0.relayNever = cidrs("203.0.113.0/24")
             }, client: Client(address: .unknown), recipient: "<alice@corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "plain relay outside local_domains is denied", policy: policy { $0.localDomains = DomainSet(["corp.example"]) },
             client: outside, recipient: "<bob@elsewhere.example>", verdict: .reject, rule: .relayDenied,
             reply: "554 5.7.1 <bob@elsewhere.example>: Relay access denied"),
        Case(name: "plain relay from relay_clients is allowed even with reroute = no",
             policy: policy { $0.localDomains = DomainSet(["corp.example"]); $0.relayClients = cidrs("192.0.2.0/24") },
             client: peer, recipient: "<bob@elsewhere.example>", verdict: .continue, rule: .relayAllowed, reply: nil),
        Case(name: "relay_action = tempfail answers 450 for plain relaying",
             policy: policy { $0.localDomains = DomainSet(["corp.example"]); $0.relayAction = .tempfail },
             client: outside, recipient: "<bob@elsewhere.example>", verdict: .tempfail, rule: .relayDenied,
             reply: "450 4.7.1 <bob@elsewhere.example>: Relay access denied"),
        Case(name: "relay_never denies plain relaying", policy: policy {
                 $0.localDomains = DomainSet(["corp.example"]); $0.relayClients = cidrs("0.0.0.0/0"); $0.relayNever = cidrs("203.0.113.9")
             }, client: outside, recipient: "<bob@elsewhere.example>", verdict: .reject, rule: .relayNever,
             reply: "554 5.7.1 <bob@elsewhere.example>: Relay access denied"),
        Case(name: "a leading dot in local_domains covers subdomains", policy: policy { $0.localDomains = DomainSet([".corp.example"]) },
             client: outside, recipient: "<bob@eu.corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "a leading dot alone does not cover the parent", policy: policy { $0.localDomains = DomainSet([".corp.example"]) },
             client: outside, recipient: "<bob@corp.example>", verdict: .reject, rule: .relayDenied,
             reply: "554 5.7.1 <bob@corp.example>: Relay access denied"),
        Case(name: "local domain match ignores case", policy: policy { $0.localDomains = DomainSet(["corp.example"]) },
             client: outside, recipient: "<Bob@CORP.Example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "null recipient is never a relay attempt", policy: policy { $0.localDomains = DomainSet(["corp.example"]) },
             client: outside, recipient: "<>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "listed local recipient passes", policy: policy { $0.localRecipients = RecipientSet(["alice@corp.example", "postmaster"]) },
             client: outside, recipient: "<ALICE@corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "a bare local part matches in any local domain", policy: policy { $0.localRecipients = RecipientSet(["postmaster"]) },
             client: outside, recipient: "<postmaster@corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "unlisted local recipient is rejected 5.1.1", policy: policy { $0.localRecipients = RecipientSet(["alice@corp.example"]) },
             client: outside, recipient: "<mallory@corp.example>", verdict: .reject, rule: .unknownRecipient,
             reply: "550 5.1.1 <mallory@corp.example>: Recipient address rejected: User unknown"),
        Case(name: "an encapsulated recipient is not in local_recipients (issue 10)",
             policy: policy { $0.localRecipients = RecipientSet(["alice@corp.test"]) }, client: outside,
             recipient: "<IMCEAFOO-anything@corp.test>", verdict: .reject, rule: .unknownRecipient,
             reply: "550 5.1.1 <IMCEAFOO-anything@corp.test>: Recipient address rejected: User unknown"),
        Case(name: "a legacyExchangeDN is an unknown recipient when local_recipients is set",
             policy: policy { $0.localRecipients = RecipientSet(["alice@corp.test"]) }, client: outside,
             recipient: "<IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=alice@corp.test>",
             verdict: .reject, rule: .unknownRecipient,
             reply: "550 5.1.1 <IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=alice@corp.test>: Recipient address rejected: User unknown"),
        Case(name: "an encapsulated recipient listed as written passes",
             policy: policy { $0.localRecipients = RecipientSet(["IMCEAEX-_O=CORP_CN=RECIPIENTS_CN=alice@corp.test"]) },
             client: outside, recipient: "<imceaex-_o=corp_cn=recipients_cn=alice@CORP.test>", verdict: .continue, rule: .pass,
             reply: nil),
        Case(name: "a routed recipient with routed_addresses = ignore is not in local_recipients either",
             policy: policy { $0.localRecipients = RecipientSet(["alice@corp.test"]); $0.routedAddresses = .ignore },
             client: outside, recipient: "<alice%elsewhere.com@corp.test>", verdict: .reject, rule: .unknownRecipient,
             reply: "550 5.1.1 <alice%elsewhere.com@corp.test>: Recipient address rejected: User unknown"),
        Case(name: "local_recipients is ignored with reroute = yes", policy: policy {
                 $0.reroute = true; $0.relayClients = cidrs("192.0.2.0/24"); $0.localRecipients = RecipientSet(["alice@corp.example"])
             }, client: outside, recipient: "<mallory@corp.example>", verdict: .continue, rule: .pass, reply: nil),
        Case(name: "report mode continues and marks the denial", policy: policy { $0.mode = .report }, client: outside, recipient: imcea,
             verdict: .continue, rule: .rerouteDisabled,
             reply: "550 5.7.1 <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed"),
        Case(name: "custom reply expands %r and %%", policy: policy {
                 $0.rerouteReply = try! ReplyTemplate(parsing: "551 5.7.1 100%% sure: <%r> is encapsulated", class: "5")
             }, client: outside, recipient: "<IMCEASMTP-a+40b@c>", verdict: .reject, rule: .rerouteDisabled,
             reply: "551 5.7.1 100% sure: <IMCEASMTP-a+40b@c> is encapsulated"),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) {
        let decision = c.policy.decide(c.recipient, client: c.client)
        #expect(decision.verdict == c.verdict)
        #expect(decision.rule == c.rule)
        #expect(decision.reply?.description == c.reply)
        #expect(decision.wouldDeny == (c.policy.mode == .report && c.reply != nil))
    }

    @Test func decisionsCarryTheDecodedAddress() {
        let decision = Policy().decide(Self.imcea, client: Self.outside)
        #expect(decision.address.form == .imcea)
        #expect(decision.address.imceaType == "SMTP")
        #expect(decision.address.inner == "victim@elsewhere.com")
    }

    @Test(arguments: [
        ("<<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>>", "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example", Verdict.reject, Rule.rerouteDisabled),
        ("<alice@corp.example>", "alice@corp.example", .continue, .pass),
        ("<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>", "alice@corp.example", .reject, .rerouteDisabled),
    ])
    func parsedAddressIsDecidedToo(raw: String, parsed: String, verdict: Verdict, rule: Rule) {
        let decision = Policy().decide(raw, parsed: parsed, client: Self.outside)
        #expect(decision.verdict == verdict)
        #expect(decision.rule == rule)
    }

    /// Issue 10's "gw" config: `reroute = no`, `relay_clients = 192.0.2.0/24`, `local_domains = corp.test`, and an
    /// address list with only alice.
    static let gateway = policy {
        $0.relayClients = cidrs("192.0.2.0/24")
        $0.localDomains = DomainSet(["corp.test"])
        $0.localRecipients = RecipientSet(["alice@corp.test"])
    }

    struct ParsedCase: CustomTestStringConvertible, Sendable {
        let raw: String
        /// Postfix's `{rcpt_addr}` (casefolded; a domainless address gets `@$myhostname`), nil when not given.
        let parsed: String?
        let verdict: Verdict
        let rule: Rule
        var testDescription: String { "\(raw) as \(parsed ?? "-")" }
    }

    /// Section 4: the relay and unknown-recipient rules judge the address Postfix delivers to; the encapsulation and
    /// routing rules judge the raw text as well. RFC 5321 4.5.1's postmaster passes both of the former.
    static let deliveredAddressCases: [ParsedCase] = [
        ParsedCase(raw: "<postmaster>", parsed: nil, verdict: .continue, rule: .pass),
        ParsedCase(raw: "<postmaster>", parsed: "postmaster@mail.corp.test", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<PostMaster>", parsed: "postmaster@gw.example.net", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<postmaster@corp.test>", parsed: "postmaster@corp.test", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<POSTMASTER@Corp.Test>", parsed: "postmaster@corp.test", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<postmaster@elsewhere.example>", parsed: nil, verdict: .reject, rule: .relayDenied),
        ParsedCase(raw: "<postmaster%elsewhere.example>", parsed: "postmaster@elsewhere.example", verdict: .reject, rule: .rerouteDisabled),
        ParsedCase(raw: "<postmaster%elsewhere.example@corp.test>", parsed: nil, verdict: .reject, rule: .rerouteDisabled),
        ParsedCase(raw: "<IMCEASMTP-postmaster+40elsewhere+2Eexample@corp.test>", parsed: nil, verdict: .reject, rule: .rerouteDisabled),
        ParsedCase(raw: "<postmaster>", parsed: "alice@elsewhere.example", verdict: .reject, rule: .relayDenied),
        ParsedCase(raw: "<bob@corp.test>", parsed: nil, verdict: .reject, rule: .unknownRecipient),
        ParsedCase(raw: "<Joe <alice@corp.test>>", parsed: "alice@corp.test", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<<alice@corp.test>>", parsed: "alice@corp.test", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<(comment)alice@corp.test>", parsed: "alice@corp.test", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<<bob@elsewhere.example>>", parsed: "bob@elsewhere.example", verdict: .reject, rule: .relayDenied),
        ParsedCase(raw: "<Joe <bob@corp.test>>", parsed: "bob@corp.test", verdict: .reject, rule: .unknownRecipient),
        ParsedCase(raw: "<Joe <IMCEASMTP-victim+40elsewhere+2Ecom@corp.test>>",
                   parsed: "imceasmtp-victim+40elsewhere+2ecom@corp.test", verdict: .reject, rule: .rerouteDisabled),
        // The raw text routes where the parsed address does not: the stricter answer wins.
        ParsedCase(raw: "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.test>", parsed: "alice@corp.test", verdict: .reject, rule: .rerouteDisabled),
        ParsedCase(raw: "<\"victim@elsewhere.example\"@corp.test>", parsed: "alice@corp.test", verdict: .reject, rule: .rerouteDisabled),
        // What Postfix's parser reads in the raw text (a policy service's `recipient`) routes where the decoder's reading
        // and the delivered address do not: found by PostfixParseDifferentialTests' random arguments, with the
        // {rcpt_addr} Postfix gave.
        ParsedCase(raw: "\"\"@a$elsewhere.com\u{202E}IPv6:x.y", parsed: "x.y@gateway.test", verdict: .reject, rule: .rerouteDisabled),
        ParsedCase(raw: "<\\<IMCEASMTP->", parsed: "\"<imceasmtp-\"@gateway.test", verdict: .reject, rule: .rerouteDisabled),
        ParsedCase(raw: "<\\<IMCEASMTP-victim+40elsewhere+2Ecom@corp.test>",
                   parsed: "\"<imceasmtp-victim+40elsewhere+2ecom\"@corp.test", verdict: .reject, rule: .rerouteDisabled),
        // Postfix reads these as the decoder does: nothing more to decide.
        ParsedCase(raw: "<\"alice\"@corp.test>", parsed: "alice@corp.test", verdict: .continue, rule: .pass),
        ParsedCase(raw: "<alice@corp.test> ", parsed: "alice@corp.test", verdict: .continue, rule: .pass),
    ]

    @Test(arguments: deliveredAddressCases)
    func relayAndAddressListJudgeTheDeliveredAddress(_ c: ParsedCase) {
        let decision = Self.gateway.decide(c.raw, parsed: c.parsed, client: Self.outside)
        #expect(decision.verdict == c.verdict)
        #expect(decision.rule == c.rule)
    }

    @Test(arguments: ["<IMCEAEX-victim%elsewhere.com@corp.example>", "<IMCEAFAX-elsewhere.com!victim@corp.example>",
                      "<\"IMCEAEX-victim@elsewhere.com\"@corp.example>", "<@hop:IMCEAEX-x@corp.example>",
                      // A combining mark makes "@\u{35E}" one Character, but Postfix sees the "@" byte (AddressDecoderFuzz).
                      "<@\u{35E}hop:IMCEAEX-x@corp.example>"])
    func routingSyntaxInAnIMCEALocalPartIsARerouteAttempt(recipient: String) {
        #expect(Policy().decide(recipient, client: Self.outside).rule == .rerouteDisabled)
    }

    @Test func nestingPastTheDepthLimitIsRejectedForEveryClient() {
        var address = "victim@elsewhere.com"
        for _ in 0..<9 { address = "IMCEASMTP-" + address.utf8.map { b -> String in
            let c = Character(Unicode.Scalar(b))
            return c.isLetter || c.isNumber ? String(c) : "+" + String(b, radix: 16, uppercase: true)
        }.joined() + "@corp.example" }
        let decision = Self.siteConnector.decide(address, client: Self.peer)
        #expect(decision.address.depthExceeded)
        #expect(decision.verdict == .reject)
        #expect(decision.reply?.description.hasSuffix("encapsulation nested too deep") == true)
    }

    @Test func rerouteYesWithoutRestrictionsHasNone() {
        #expect(!Policy.init().hasRelayRestrictions)
        #expect(Self.siteConnector.hasRelayRestrictions)
        #expect(Self.policy { $0.relayAuthenticated = true }.hasRelayRestrictions)
    }
}
