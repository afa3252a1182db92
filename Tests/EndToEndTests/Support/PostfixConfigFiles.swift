/// The main.cf and master.cf of a private Postfix instance.
///
/// Every path points into the instance's temporary directory, so Postfix never touches /etc/postfix (it only reads
/// /etc/postfix/dynamicmaps.cf and postfix-files through the default `meta_directory`) or the system queue.
struct PostfixConfigFiles {
    struct Layout {
        var queueDirectory: String
        var dataDirectory: String
        var logDirectory: String
        var pcreTable: String?
        var syslogName: String
        var smtpdPort: UInt16
        var sinkPort: UInt16
    }

    let mainCF: String
    let masterCF: String

    init(layout: Layout, options: PostfixOptions) {
        mainCF = Self.render(Self.mainParameters(layout: layout, options: options))
        masterCF = Self.masterCF(smtpdPort: layout.smtpdPort, extraListenAddresses: options.extraListenAddresses)
            + options.extraMasterCF.map { $0 + "\n" }.joined()
    }

    static func mainParameters(layout: Layout, options: PostfixOptions) -> [String: String] {
        // config_directory is deliberately absent: `postfix -c DIR` sets it, and a copy here only draws
        // "overriding earlier entry" warnings from postconf.
        var parameters: [String: String] = [
            "compatibility_level": "3.6",
            "queue_directory": layout.queueDirectory,
            "data_directory": layout.dataDirectory,
            // Postfix 3.7 writes maillog_file through the postlog service and only under an allowed prefix.
            "maillog_file": layout.logDirectory + "/maillog",
            "maillog_file_prefixes": layout.logDirectory,
            "syslog_name": layout.syslogName,
            "myhostname": "gateway.test",
            "mydomain": "gateway.test",
            "myorigin": "gateway.test",
            "mydestination": "",
            "local_recipient_maps": "",
            "alias_maps": "",
            "alias_database": "",
            "inet_interfaces": "127.0.0.1",
            // Needed for XCLIENT ADDR=IPV6:…; listening stays on 127.0.0.1.
            "inet_protocols": "all",
            "mynetworks": options.mynetworks,
            "relay_domains": options.relayDomains,
            // Relay-domain mail goes to the sink; anything else fails instead of leaving the machine.
            "relay_transport": "smtp:[127.0.0.1]:\(layout.sinkPort)",
            "default_transport": "error:5.7.0 no delivery outside the end-to-end test",
            "smtp_dns_support_level": "disabled",
            "smtpd_authorized_xclient_hosts": "127.0.0.1",
            // smtpd_sasl_auth_enable stays off: XCLIENT LOGIN=bob sets the SASL login (reaching milters as
            // {auth_authen}) without it (FrontEndGatewayTests shows both).
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": recipientRestrictions(pcreTable: layout.pcreTable),
        ]
        if options.outsideDomainsToSink {
            parameters["default_transport"] = parameters["relay_transport"]
        }
        if let milter = options.milter {
            parameters["smtpd_milters"] = "inet:127.0.0.1:\(milter.port)"
            parameters["milter_default_action"] = milter.defaultAction
            parameters["milter_protocol"] = "6"
            parameters["milter_connect_timeout"] = "5s"
            parameters["milter_command_timeout"] = "10s"
        }
        parameters.merge(options.parameters) { _, override in override }
        return parameters
    }

    private static func recipientRestrictions(pcreTable: String?) -> String {
        let base = "permit_mynetworks, reject_unauth_destination"
        guard let pcreTable else { return base }
        return "check_recipient_access pcre:\(pcreTable), " + base
    }

    private static func render(_ parameters: [String: String]) -> String {
        parameters.keys.sorted().map { "\($0) = \(parameters[$0]!)" }.joined(separator: "\n") + "\n"
    }

    /// Only the services a relay gateway uses, all with `chroot = n` (a chroot would need copies of
    /// /etc files in the queue directory).
    private static func masterCF(smtpdPort: UInt16, extraListenAddresses: [String]) -> String {
        let smtpd = (["127.0.0.1"] + extraListenAddresses).map { "\($0):\(smtpdPort) inet n - n - - smtpd\n" }.joined()
        return """
        # service type  private unpriv  chroot  wakeup  maxproc command
        \(smtpd)pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        smtp      unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd

        """
    }
}
