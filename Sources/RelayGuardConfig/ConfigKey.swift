import RelayPolicy

/// One key of relayguard.conf: its name, its default as written in the file, a one-line help, and how it sets the
/// configuration. The table below is the only list of keys: parsing, `show-config` and the docs all read it.
public struct ConfigKey: Sendable {
    public let name: String
    public let defaultValue: String
    public let help: String
    let apply: @Sendable (ConfigValue, inout Configuration, inout [ConfigDiagnostic]) -> Void
}

extension ConfigKey {
    /// Every key, in the order `show-config` prints them.
    public static let all: [ConfigKey] = [
        ConfigKey(name: "mode", defaultValue: "enforce",
                  help: "enforce answers what the rules decide; report answers continue and logs what would be denied") { v, c, d in
            if let x = v.choice(Policy.Mode.self, &d) { c.policy.mode = x }
        },
        ConfigKey(name: "reroute", defaultValue: "no",
                  help: "whether encapsulated (IMCEA) and routed recipients may be rerouted; yes needs relay restrictions") { v, c, d in
            if let x = v.bool(&d) { c.policy.reroute = x }
        },
        ConfigKey(name: "routed_addresses", defaultValue: "reroute",
                  help: "reroute: percent hack, bang paths, source routes and quoted @ are reroute attempts; ignore: treat them as plain") { v, c, d in
            if let x = v.choice(Policy.RoutedAddresses.self, &d) { c.policy.routedAddresses = x }
        },
        ConfigKey(name: "imcea_reject_types", defaultValue: "INVALID X500",
                  help: "IMCEA types always rejected, whoever the client is") { v, c, d in
            c.policy.imceaRejectTypes = Set(v.list(&d).map { $0.text.uppercased() })
        },
        ConfigKey(name: "imcea_reroute_types", defaultValue: "SMTP X400",
                  help: "IMCEA types that are reroute attempts whatever their payload (X400 only when a DDA names an address)") { v, c, d in
            c.policy.imceaRerouteTypes = Set(v.list(&d).map { $0.text.uppercased() })
        },
        ConfigKey(name: "imcea_exempt_types", defaultValue: "",
                  help: "IMCEA types whose decoded payload may carry @, % or ! without being a reroute attempt") { v, c, d in
            c.policy.imceaExemptTypes = Set(v.list(&d).map { $0.text.uppercased() })
        },
        ConfigKey(name: "relay_clients", defaultValue: "",
                  help: "client networks allowed to reroute and relay: IPv4/IPv6 prefixes, addresses, file:/path") { v, c, d in
            c.policy.relayClients = v.cidrSet(&d)
        },
        ConfigKey(name: "relay_never", defaultValue: "",
                  help: "client networks never allowed to reroute or relay, whatever else allows them") { v, c, d in
            c.policy.relayNever = v.cidrSet(&d)
        },
        ConfigKey(name: "relay_authenticated", defaultValue: "no",
                  help: "whether SASL-authenticated clients may reroute and relay (needs SASL in Postfix)") { v, c, d in
            if let x = v.bool(&d) { c.policy.relayAuthenticated = x }
        },
        ConfigKey(name: "relay_local_addresses", defaultValue: "",
                  help: "local addresses (Postfix's {daemon_addr}) whose clients may reroute and relay") { v, c, d in
            c.policy.relayLocalAddresses = v.cidrSet(&d)
        },
        ConfigKey(name: "local_domains", defaultValue: "",
                  help: "domains delivered here (a leading dot means subdomains); when set, other domains are relay attempts") { v, c, d in
            let items = v.domains(&d)
            c.policy.localDomains = items.isEmpty ? nil : DomainSet(items)
        },
        ConfigKey(name: "local_recipients", defaultValue: "",
                  help: "with reroute = no, the only recipients accepted in local domains (addresses or bare local parts)") { v, c, d in
            let items = v.recipients(&d)
            c.policy.localRecipients = items.isEmpty ? nil : RecipientSet(items)
        },
        // After local_recipients in this table, which is also the order keys are applied in: it sets that list's
        // delimiters.
        ConfigKey(name: "recipient_delimiter", defaultValue: "",
                  help: "Postfix's recipient_delimiter: characters that separate a local part from its extension, so alice+tag matches alice in local_recipients") { v, c, d in
            if let x = v.recipientDelimiters(&d) { c.policy.localRecipients?.delimiters = x }
        },
        ConfigKey(name: "reroute_action", defaultValue: "reject",
                  help: "reject or tempfail a denied reroute attempt") { v, c, d in
            if let x = v.choice(Policy.Action.self, &d) { c.policy.rerouteAction = x }
        },
        ConfigKey(name: "relay_action", defaultValue: "reject",
                  help: "reject or tempfail a denied relay attempt") { v, c, d in
            if let x = v.choice(Policy.Action.self, &d) { c.policy.relayAction = x }
        },
        ConfigKey(name: "reroute_reply", defaultValue: Policy().rerouteReply.description,
                  help: "5xx reply to a rejected reroute attempt; %r is the recipient, %% a percent sign") { v, c, d in
            if let x = v.reply(class: "5", &d) { c.policy.rerouteReply = x }
        },
        ConfigKey(name: "reroute_tempfail_reply", defaultValue: Policy().rerouteTempfailReply.description,
                  help: "4xx reply to a tempfailed reroute attempt") { v, c, d in
            if let x = v.reply(class: "4", &d) { c.policy.rerouteTempfailReply = x }
        },
        ConfigKey(name: "relay_reply", defaultValue: Policy().relayReply.description,
                  help: "5xx reply to a rejected relay attempt") { v, c, d in
            if let x = v.reply(class: "5", &d) { c.policy.relayReply = x }
        },
        ConfigKey(name: "relay_tempfail_reply", defaultValue: Policy().relayTempfailReply.description,
                  help: "4xx reply to a tempfailed relay attempt") { v, c, d in
            if let x = v.reply(class: "4", &d) { c.policy.relayTempfailReply = x }
        },
        ConfigKey(name: "on_error", defaultValue: "tempfail",
                  help: "what a recipient gets when RelayGuard cannot decide: tempfail (fail closed) or accept") { v, c, d in
            if let x = v.choice(Policy.OnError.self, &d) { c.policy.onError = x }
        },
        ConfigKey(name: "on_error_reply", defaultValue: Policy().errorReply.description,
                  help: "4xx reply when on_error = tempfail") { v, c, d in
            if let x = v.reply(class: "4", &d) { c.policy.errorReply = x }
        },
        ConfigKey(name: "socket", defaultValue: "inet:8894@127.0.0.1",
                  help: "where the milter listens: inet:PORT@HOST, inet6:PORT@[ADDR], unix:/path or local:/path; none serves policy_socket alone") { v, c, d in
            if v.text == "none" { c.daemon.serveMilter = false } else if let x = ListenSocket(v.text) { c.daemon.socket = x } else {
                d.append(v.diagnostic("expected inet:PORT@HOST, inet6:PORT@[ADDR], unix:/path, local:/path or none, got \"\(v.text)\""))
            }
        },
        ConfigKey(name: "socket_mode", defaultValue: "0660",
                  help: "permissions of a unix socket, octal; never world-writable") { v, c, d in
            guard let mode = UInt16(v.text, radix: 8), mode <= 0o777, v.text.hasPrefix("0") else {
                d.append(v.diagnostic("expected an octal mode such as 0660, got \"\(v.text)\""))
                return
            }
            guard mode & 0o002 == 0 else {
                d.append(v.diagnostic("\(v.text) makes the socket world-writable: any local user could talk to the milter"))
                return
            }
            c.daemon.socketMode = mode
        },
        // The connection idles while Postfix waits on the SMTP client: up to smtpd_timeout (300 s) per command, and
        // the whole message transfer (no body events are asked for), so the default is libmilter's own 7210 s: a
        // shorter one would cut a slow DATA and tempfail that message on every retry.
        ConfigKey(name: "timeout", defaultValue: "7210",
                  help: "seconds an idle milter connection is kept (libmilter's smfi_settimeout); above Postfix's smtpd_timeout") { v, c, d in
            guard v.text.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int(v.text), (1...86400).contains(seconds) else {
                d.append(v.diagnostic("expected whole seconds from 1 to 86400, got \"\(v.text)\""))
                return
            }
            if seconds < 300 {
                d.append(v.diagnostic("\(seconds) s is shorter than Postfix's smtpd_timeout (300 s): a session whose client "
                    + "pauses longer, or sends a long message, loses the milter and is tempfailed", severity: .warning))
            }
            c.daemon.timeout = seconds
        },
        ConfigKey(name: "policy_socket", defaultValue: "",
                  help: "where relayguard run answers Postfix's policy delegation (check_policy_service), in the socket syntax; empty is off") { v, c, d in
            c.daemon.policySocket = nil
            if v.text.isEmpty { return }
            if let x = ListenSocket(v.text) { c.daemon.policySocket = x } else {
                d.append(v.diagnostic("expected inet:PORT@HOST, inet6:PORT@[ADDR], unix:/path or local:/path (or nothing, for off), got \"\(v.text)\""))
            }
        },
        ConfigKey(name: "policy_max_connections", defaultValue: "1000",
                  help: "policy connections served at once; one more is closed at accept, with a log line") { v, c, d in
            if let x = v.wholeNumber(in: 1...1_000_000, &d) { c.daemon.policyMaxConnections = x }
        },
        // smtpd closes a policy connection idle for smtpd_policy_service_max_idle (300 s) itself: the default leaves it
        // that, so RelayGuard closes only peers smtpd would not have kept (and requests that never end).
        ConfigKey(name: "policy_timeout", defaultValue: "330",
                  help: "seconds a policy connection may go without completing a request before it is closed") { v, c, d in
            guard let seconds = v.wholeNumber(in: 1...86400, &d) else { return }
            if seconds < 300 {
                d.append(v.diagnostic("\(seconds) s is shorter than Postfix's smtpd_policy_service_max_idle (300 s): smtpd finds "
                    + "idle connections closed under it and logs a lost connection before it reconnects", severity: .warning))
            }
            c.daemon.policyTimeout = seconds
        },
        ConfigKey(name: "user", defaultValue: "",
                  help: "when started as root: the user to run as once the socket is open; empty refuses root without --allow-root") { v, c, d in
            c.daemon.user = v.text.isEmpty ? nil : v.text
        },
        ConfigKey(name: "log", defaultValue: "stderr",
                  help: "where decisions are logged: stderr or syslog") { v, c, d in
            if let x = v.choice(DaemonSettings.LogTarget.self, &d) { c.daemon.log = x }
        },
        ConfigKey(name: "syslog_facility", defaultValue: "mail",
                  help: "syslog facility when log = syslog") { v, c, d in
            guard DaemonSettings.facilities.contains(v.text) else {
                d.append(v.diagnostic("expected one of \(DaemonSettings.facilities.joined(separator: ", ")), got \"\(v.text)\""))
                return
            }
            c.daemon.syslogFacility = v.text
        },
        ConfigKey(name: "log_level", defaultValue: "info",
                  help: "lowest level logged: debug, info, notice, warning or error; decisions are logged at info") { v, c, d in
            if let x = v.choice(DaemonSettings.LogLevel.self, &d) { c.daemon.logLevel = x }
        },
        ConfigKey(name: "metrics_listen", defaultValue: "",
                  help: "Prometheus metrics over HTTP at inet:PORT@HOST or inet6:PORT@[ADDR]; empty is off") { v, c, d in
            if v.text.isEmpty {
                c.daemon.metricsListen = nil
            } else if let x = ListenSocket(v.text), !x.isUnix {
                c.daemon.metricsListen = x
            } else {
                d.append(v.diagnostic("expected inet:PORT@HOST or inet6:PORT@[ADDR] (or nothing, for off), got \"\(v.text)\""))
            }
        },
    ]

    static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
