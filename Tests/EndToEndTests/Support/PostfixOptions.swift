/// How a test's private Postfix differs from the default gateway.
///
/// The default is a gateway for `corp.example`: no local domains, relaying only to `corp.example` (via the sink)
/// or for `mynetworks`. XCLIENT replaces the client address, and `mynetworks` is matched against the replaced
/// address; tests present addresses from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 or 2001:db8::/32, none of
/// which is in the default `mynetworks`, so Postfix treats them as outside clients unless a test says otherwise.
struct PostfixOptions: Sendable {
    /// The milter Postfix calls for every SMTP session, and what Postfix does when it is unreachable.
    struct Milter: Sendable {
        var port: UInt16
        /// Postfix's `milter_default_action`: `tempfail`, `accept`, `reject` or `quarantine`.
        var defaultAction: String = "tempfail"
    }

    var mynetworks = "127.0.0.0/8"
    var relayDomains = "corp.example"
    var milter: Milter?
    /// The text of a PCRE table for a `check_recipient_access pcre:` lookup that runs first in
    /// `smtpd_recipient_restrictions` (before `permit_mynetworks`, so it sees every client). Needs postfix-pcre.
    var recipientAccessPCRE: String?
    /// Extra or overriding main.cf parameters, e.g. `milter_mail_macros`. Applied last.
    var parameters: [String: String] = [:]
    /// Loopback addresses besides 127.0.0.1 where smtpd also listens, on the same port (master.cf `host:port`
    /// entries bind whatever `inet_interfaces` says): the milter sees the one a client connected to as
    /// `{daemon_addr}`, which is what `relay_local_addresses` matches.
    var extraListenAddresses: [String] = []
    /// Services appended to master.cf as written, e.g. a spawn(8) policy service.
    var extraMasterCF: [String] = []
    /// Mail for other domains goes to the sink too, instead of the `error` transport (which makes smtpd itself refuse
    /// such a recipient at RCPT, before a milter sees it): for tests of what RelayGuard does with plain relaying that
    /// Postfix would allow.
    var outsideDomainsToSink = false

    init(
        milter: Milter? = nil,
        mynetworks: String = "127.0.0.0/8",
        recipientAccessPCRE: String? = nil,
        parameters: [String: String] = [:],
        extraListenAddresses: [String] = [],
        extraMasterCF: [String] = [],
        outsideDomainsToSink: Bool = false
    ) {
        self.outsideDomainsToSink = outsideDomainsToSink
        self.milter = milter
        self.mynetworks = mynetworks
        self.recipientAccessPCRE = recipientAccessPCRE
        self.parameters = parameters
        self.extraListenAddresses = extraListenAddresses
        self.extraMasterCF = extraMasterCF
    }
}
