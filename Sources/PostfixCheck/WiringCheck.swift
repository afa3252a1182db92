import Foundation
import RelayGuardConfig
import RelayPolicy

/// Reads a Postfix configuration for the mistakes that let a recipient reach the next hop without RelayGuard seeing
/// it, or that make RelayGuard refuse mail Postfix is meant to accept. Pure: postconf's output in, findings out.
public struct WiringCheck {
    let postfix: PostfixSettings
    /// The milter socket; nil when RelayGuard serves the policy socket alone (`socket = none`).
    let milter: RelayGuardSocket?
    /// The policy listener of `relayguard run` (`policy_socket`), nil when it is off.
    let policyListener: RelayGuardSocket?
    let localDomains: DomainSet?

    /// - Parameters:
    ///   - socket: RelayGuard's `socket` setting; nil for `socket = none`.
    ///   - policySocket: RelayGuard's `policy_socket` setting; nil when it is off.
    ///   - localDomains: RelayGuard's `local_domains`; nil when it is not set (every domain local).
    public init(postfix: PostfixSettings, socket: ListenSocket?, policySocket: ListenSocket? = nil, localDomains: DomainSet?) {
        self.postfix = postfix
        let queueDirectory = postfix.parameters["queue_directory"] ?? "/var/spool/postfix"
        self.milter = socket.map { RelayGuardSocket(socket: $0, queueDirectory: queueDirectory) }
        self.policyListener = policySocket.map { RelayGuardSocket(socket: $0, queueDirectory: queueDirectory) }
        self.localDomains = localDomains
    }

    public func findings() -> [Finding] {
        milterWiring() + policyWiring() + milterDefaults() + routing() + domains()
    }

    private func value(_ name: String) -> String { postfix.parameters[name] ?? "" }

    /// The smtpd services of master.cf (postscreen's `smtpd pass` service included); main.cf alone when master.cf
    /// has none, so a partial configuration is still checked.
    private var smtpdServices: [PostfixSettings.Service] {
        let services = postfix.services.filter { $0.command == "smtpd" }
        return services.isEmpty ? [PostfixSettings.Service(name: "smtp", type: "inet", command: "smtpd")] : services
    }

    /// master.cf spawn services that run `relayguard policy`, as check_policy_service names them
    /// (`unix:private/NAME`, `inet:NAME`).
    private var spawnServices: [String] {
        postfix.services.filter { $0.command == "spawn" && $0.arguments.contains("relayguard") && $0.arguments.contains(" policy") }
            .map { $0.type == "unix" ? "unix:private/\($0.name)" : "inet:\($0.name)" }
    }

    /// How a fix names RelayGuard's policy service: the spawn service an admin wrote, else the listener.
    private var policyName: String? { spawnServices.first ?? policyListener?.postfixSpelling }

    /// Uncovered smtpd services are reported against the policy front end, not the milter, when the admin chose it:
    /// a spawn service exists, or RelayGuard serves no milter socket.
    private var prefersPolicy: Bool { !spawnServices.isEmpty || (milter == nil && policyListener != nil) }

    /// Whether a check_policy_service argument reaches RelayGuard's policy front end from this service.
    private func isPolicyService(_ address: String, chrooted: Bool) -> Bool {
        spawnServices.contains(address) || policyListener?.isReached(by: address, chrooted: chrooted) == true
    }

    /// Whether the milter list of `service` reaches RelayGuard's milter socket.
    private func milterReaches(_ service: PostfixSettings.Service) -> Bool {
        guard let milter else { return false }
        return MilterEntry.list(service.value("smtpd_milters", in: postfix)).contains { milter.isReached(by: $0.address, chrooted: service.isChrooted) }
    }

    /// Where a smtpd service asks RelayGuard's policy front end: the restriction list, whether a permit comes first,
    /// the server as written with its grouped settings (`check_policy_service { unix:..., default_action=... }`), and
    /// whether it is reachable from the service (a chrooted smtpd sees only the queue directory).
    private func policyCheck(in service: PostfixSettings.Service) -> (list: String, afterPermit: String?, server: MilterEntry, reachable: Bool)? {
        for list in ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"] {
            // A restriction list groups a policy server with its settings as a milter list does.
            let words = MilterEntry.list(service.value(list, in: postfix))
            var permit: String?
            for (index, word) in words.enumerated() {
                if word.address.hasPrefix("permit"), permit == nil { permit = word.address }
                guard word.address == "check_policy_service", index + 1 < words.count else { continue }
                let server = words[index + 1]
                if isPolicyService(server.address, chrooted: service.isChrooted) { return (list, permit, server, true) }
                if service.isChrooted, policyListener?.isReached(by: server.address, chrooted: false) == true {
                    return (list, permit, server, false)
                }
            }
        }
        return nil
    }

    private func policyWiring() -> [Finding] {
        guard let name = policyName else { return [] }
        var findings: [Finding] = []
        var asked = false
        /// The answer Postfix gives when RelayGuard cannot be asked, wherever it is decided for each asking service:
        /// the entry's own default_action, else the service's -o override, else main.cf's.
        var fallbacks: [(location: String, action: String, fix: String)] = []
        for service in smtpdServices {
            if let (list, permit, server, reachable) = policyCheck(in: service) {
                let address = server.address
                asked = true
                if let action = server.settings["default_action"] {
                    fallbacks.append((location(service, list), action, "remove default_action=\(action) from check_policy_service's { } entry"))
                } else if let action = service.overrides["smtpd_policy_service_default_action"] {
                    fallbacks.append(("master.cf: \(service.id)", action, "postconf -P '\(service.id)/smtpd_policy_service_default_action=451 4.3.5 Server configuration problem'"))
                } else {
                    fallbacks.append(("main.cf: smtpd_policy_service_default_action", value("smtpd_policy_service_default_action"),
                                      "postconf -e 'smtpd_policy_service_default_action = 451 4.3.5 Server configuration problem'"))
                }
                if !reachable {
                    findings.append(Finding(.error, "chroot-unreachable", at: location(service, list),
                        "\(service.id) runs chrooted in \(value("queue_directory")) and looks for \(address) inside it, where RelayGuard's policy socket is not",
                        fix: fixCommand(service, list, service.value(list, in: postfix).replacingOccurrences(of: address, with: name)),
                        why: "a chrooted smtpd opens a policy service's unix path relative to the queue directory; it cannot reach RelayGuard, and smtpd_policy_service_default_action answers every recipient"))
                } else if let permit {
                    findings.append(Finding(.warning, "policy-after-permit", at: location(service, list),
                        "\(list) runs \(permit) before check_policy_service \(address)",
                        fix: "put check_policy_service \(address) first in \(list)",
                        why: "clients that \(permit) lets through are never asked about: their encapsulated recipients reach the next hop"))
                }
                continue
            }
            if milterReaches(service) || !prefersPolicy { continue }
            let current = service.value("smtpd_relay_restrictions", in: postfix)
            let value = "check_policy_service \(name)" + (current.isEmpty ? "" : ", \(current)")
            findings.append(Finding(.error, "policy-missing", at: location(service, "smtpd_relay_restrictions"),
                "\(service.id) never asks RelayGuard's policy service \(name)",
                fix: service.overrides["smtpd_relay_restrictions"] != nil ? "postconf -P '\(service.id)/smtpd_relay_restrictions=\(value)'" : "postconf -e 'smtpd_relay_restrictions = \(value)'",
                why: "mail received by this service never reaches RelayGuard, so its encapsulated recipients are accepted"))
        }
        if let listener = policyListener, case .unix(let path) = listener.socket, listener.pathInsideQueueDirectory(path) == nil,
           asked || prefersPolicy, let chrooted = smtpdServices.first(where: \.isChrooted) {
            findings.append(Finding(.error, "socket-outside-chroot", at: "relayguard.conf: policy_socket",
                "RelayGuard's policy service listens on \(path), outside Postfix's queue directory \(value("queue_directory")), and \(chrooted.id) runs chrooted",
                fix: "policy_socket = unix:\(value("queue_directory"))/relayguard/policy.sock",
                why: "a chrooted smtpd sees only the queue directory; the package puts the socket in \(value("queue_directory"))/relayguard for that reason"))
        }
        if !asked, prefersPolicy {
            fallbacks.append(("main.cf: smtpd_policy_service_default_action", value("smtpd_policy_service_default_action"),
                              "postconf -e 'smtpd_policy_service_default_action = 451 4.3.5 Server configuration problem'"))
        }
        var seen: Set<String> = []
        for (location, action, fix) in fallbacks where seen.insert(location + action).inserted {
            let upper = action.uppercased()
            guard !action.hasPrefix("4"), !action.hasPrefix("5"), !upper.hasPrefix("DEFER"), !upper.hasPrefix("REJECT") else { continue }
            findings.append(Finding(.error, "policy-fails-open", at: location,
                "smtpd_policy_service_default_action = \(action)", fix: fix,
                why: "when RelayGuard's policy service is down, Postfix goes on without it and accepts every recipient unexamined"))
        }
        return findings
    }

    private func milterWiring() -> [Finding] {
        guard let relayGuard = milter else { return [] }
        var findings: [Finding] = []
        let spelling = relayGuard.postfixSpelling
        var mainReported = false
        for service in smtpdServices {
            let list = service.value("smtpd_milters", in: postfix)
            let entries = MilterEntry.list(list)
            if entries.contains(where: { relayGuard.isReached(by: $0.address, chrooted: service.isChrooted) }) { continue }
            // The policy front end instead of the milter: policyWiring judges that service.
            if policyCheck(in: service) != nil || prefersPolicy { continue }
            let appended = list.isEmpty ? spelling : "\(list), \(spelling)"
            if let unreachable = entries.first(where: { relayGuard.isReached(by: $0.address, chrooted: !service.isChrooted) }),
               service.isChrooted {
                findings.append(Finding(.error, "chroot-unreachable", at: location(service, "smtpd_milters"),
                    "\(service.id) runs chrooted in \(value("queue_directory")) and looks for \(unreachable.address) inside it, where RelayGuard's socket is not",
                    fix: fixCommand(service, "smtpd_milters", list.replacingOccurrences(of: unreachable.address, with: spelling)),
                    why: "a chrooted smtpd opens a milter's unix path relative to the queue directory; it cannot reach the milter, and milter_default_action answers every message"))
                continue
            }
            if service.overrides["smtpd_milters"] != nil {
                findings.append(Finding(.error, "service-overrides-milters", at: "master.cf: \(service.id)",
                    "\(service.id) sets -o smtpd_milters=\(list.isEmpty ? "(empty)" : list) without RelayGuard",
                    fix: "postconf -P '\(service.id)/smtpd_milters=\(appended)'",
                    why: "mail received by this service never reaches RelayGuard, so its encapsulated and routed recipients are accepted"))
            } else if !mainReported {
                mainReported = true
                findings.append(Finding(.error, "milter-missing", at: "main.cf: smtpd_milters",
                    "smtpd_milters does not name RelayGuard's socket (\(spelling))",
                    fix: "postconf -e 'smtpd_milters = \(appended)'",
                    why: "without it Postfix never asks RelayGuard, and an IMCEA recipient at a relay domain is accepted and relayed"))
            }
        }
        if case .unix(let path) = relayGuard.socket, relayGuard.pathInsideQueueDirectory(path) == nil,
           let chrooted = smtpdServices.first(where: \.isChrooted) {
            findings.append(Finding(.error, "socket-outside-chroot", at: "relayguard.conf: socket",
                "RelayGuard listens on \(path), outside Postfix's queue directory \(value("queue_directory")), and \(chrooted.id) runs chrooted",
                fix: "socket = unix:\(value("queue_directory"))/relayguard/relayguard.sock",
                why: "a chrooted smtpd sees only the queue directory; the package puts the socket in \(value("queue_directory"))/relayguard for that reason"))
        }
        // pickup and sendmail's postdrop path are not chrooted alike: either reading of the path counts.
        let nonSMTPD = MilterEntry.list(value("non_smtpd_milters"))
        let others = nonSMTPD.filter { !relayGuard.isReached(by: $0.address, chrooted: false) && !relayGuard.isReached(by: $0.address, chrooted: true) }
        if others.count < nonSMTPD.count {
            findings.append(Finding(.error, "non-smtpd-milters", at: "main.cf: non_smtpd_milters",
                "non_smtpd_milters names RelayGuard",
                fix: "postconf -e 'non_smtpd_milters = \(others.map(\.address).joined(separator: ", "))'",
                why: "local submissions (sendmail, pickup) have no SMTP client to refuse: MILTER_README says a reject there leaves mail queued or lost; RelayGuard decides SMTP recipients only"))
        }
        return findings
    }

    private func milterDefaults() -> [Finding] {
        var findings: [Finding] = []
        // The action Postfix takes when RelayGuard fails, wherever it is decided for RelayGuard's entry: the entry's
        // own default_action, else the service's -o milter_default_action, else main.cf's.
        var actions: [(location: String, action: String, fix: String)] = []
        for service in smtpdServices {
            for entry in MilterEntry.list(service.value("smtpd_milters", in: postfix))
            where milter?.isReached(by: entry.address, chrooted: service.isChrooted) == true {
                if let action = entry.settings["default_action"] {
                    actions.append((location(service, "smtpd_milters"), action, "remove default_action=\(action) from RelayGuard's { } entry"))
                } else if let action = service.overrides["milter_default_action"] {
                    actions.append(("master.cf: \(service.id)", action, "postconf -P '\(service.id)/milter_default_action=tempfail'"))
                } else {
                    actions.append(("main.cf: milter_default_action", value("milter_default_action"), "postconf -e 'milter_default_action = tempfail'"))
                }
            }
        }
        var seen: Set<String> = []
        for (location, action, fix) in actions where seen.insert(location + action).inserted {
            switch action {
            case "accept":
                findings.append(Finding(.error, "milter-fails-open", at: location,
                    "milter_default_action = accept", fix: fix,
                    why: "when RelayGuard is down or slow, Postfix accepts every recipient unexamined: the relay hole opens exactly when nobody is watching"))
            case "shutdown":
                findings.append(Finding(.warning, "milter-default-shutdown", at: location,
                    "milter_default_action = shutdown", fix: fix,
                    why: "a milter failure drops the client's connection instead of answering 451; mail is retried, but the cause is invisible to the sender and in Postfix's reply log"))
            default:
                break
            }
        }
        if !postfix.explicit.contains("milter_default_action"), Self.version(value("mail_version"), atLeast: (3, 11)) {
            findings.append(Finding(.warning, "milter-default-implicit", at: "main.cf: milter_default_action",
                "milter_default_action is not set, and its default (\(value("milter_default_action"))) differs between Postfix versions",
                fix: "postconf -e 'milter_default_action = tempfail'",
                why: "RelayGuard is a security filter: say explicitly that mail waits when it cannot be asked"))
        }
        if let protocolVersion = Int(value("milter_protocol")), protocolVersion < 6 {
            findings.append(Finding(.warning, "milter-protocol", at: "main.cf: milter_protocol",
                "milter_protocol = \(protocolVersion)", fix: "postconf -e 'milter_protocol = 6'",
                why: "below 6 Postfix cannot skip the replies RelayGuard does not need: three more round trips per SMTP session"))
        }
        return findings
    }

    private func routing() -> [Finding] {
        var findings: [Finding] = []
        let routingRewrites = ["swap_bangpath", "allow_percent_hack"].filter { value($0) == "yes" }
        let rewriting = routingRewrites.isEmpty ? "" : " (with \(routingRewrites.joined(separator: " and ")) = yes, Postfix itself rewrites bang paths and percent hacks into remote addresses)"
        if value("allow_untrusted_routing") == "yes" {
            findings.append(Finding(.error, "untrusted-routing", at: "main.cf: allow_untrusted_routing",
                "allow_untrusted_routing = yes", fix: "postconf -e 'allow_untrusted_routing = no'",
                why: "any client may send a%b@relay.domain, b!a@relay.domain and @hop:a@b to a relay domain, and Postfix forwards them to the next hop, which routes them on\(rewriting)"))
        }
        let wide = value("mynetworks").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).filter { Self.isWide(String($0)) }
        if !wide.isEmpty {
            findings.append(Finding(.error, "mynetworks-wide", at: "main.cf: mynetworks",
                "mynetworks includes \(wide.joined(separator: ", "))",
                fix: "postconf -e 'mynetworks = 127.0.0.0/8 [::1]/128 <your site's networks>'",
                why: "permit_mynetworks trusts these clients to relay and route anywhere: the whole Internet becomes a trusted client\(rewriting)"))
        }
        return findings
    }

    /// A prefix shorter than /8 (IPv4) or /16 (IPv6) is wider than any one site.
    static func isWide(_ entry: String) -> Bool {
        var text = entry
        text.removeAll { $0 == "[" || $0 == "]" }
        guard let slash = text.lastIndex(of: "/"), let length = Int(text[text.index(after: slash)...]) else { return false }
        return text[..<slash].contains(":") ? length < 16 : length < 8
    }

    private func domains() -> [Finding] {
        guard let localDomains else { return [] }
        var findings: [Finding] = []
        let subdomainsMatch = value("parent_domain_matches_subdomains")
            .split(whereSeparator: { $0 == "," || $0 == " " }).contains("relay_domains")
        for parameter in ["relay_domains", "mydestination", "virtual_alias_domains", "virtual_mailbox_domains"] {
            for entry in value(parameter).split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
                // Lookup tables (hash:/etc/postfix/relay) cannot be listed here; the literal names can.
                guard !entry.contains(":"), !entry.contains("$"), !entry.isEmpty else { continue }
                let name = entry.hasPrefix(".") ? String(entry.dropFirst()) : String(entry)
                if !entry.hasPrefix("."), !localDomains.contains(name) {
                    findings.append(Finding(.error, "domain-not-local", at: "relayguard.conf: local_domains",
                        "Postfix accepts mail for \(name) (\(parameter)), which local_domains does not list",
                        fix: "local_domains: add \(name)",
                        why: "RelayGuard treats \(name) as a remote domain and refuses its mail from every client outside the relay restrictions"))
                }
                let matchesSubdomains = entry.hasPrefix(".") || (parameter == "relay_domains" && subdomainsMatch)
                if matchesSubdomains, !localDomains.contains("a-subdomain." + name) {
                    findings.append(Finding(.warning, "subdomains-not-local", at: "relayguard.conf: local_domains",
                        "Postfix also relays subdomains of \(name) (\(entry.hasPrefix(".") ? "a leading dot in \(parameter)" : "parent_domain_matches_subdomains")); local_domains does not cover them",
                        fix: "local_domains: add .\(name)",
                        why: "mail to a subdomain of \(name) is accepted by Postfix and refused by RelayGuard for clients outside the relay restrictions"))
                }
            }
        }
        return findings
    }

    /// `3.11.0` >= (3, 11); an unreadable version is treated as old.
    static func version(_ text: String, atLeast minimum: (Int, Int)) -> Bool {
        let parts = text.split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
        guard parts.count >= 2 else { return false }
        return (parts[0], parts[1]) >= minimum
    }

    private func location(_ service: PostfixSettings.Service, _ parameter: String) -> String {
        service.overrides[parameter] != nil ? "master.cf: \(service.id)" : "main.cf: \(parameter)"
    }

    private func fixCommand(_ service: PostfixSettings.Service, _ parameter: String, _ value: String) -> String {
        service.overrides[parameter] != nil ? "postconf -P '\(service.id)/\(parameter)=\(value)'" : "postconf -e '\(parameter) = \(value)'"
    }
}
