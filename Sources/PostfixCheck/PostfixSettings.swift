/// What `check-postfix` reads of a Postfix configuration: main.cf parameters (expanded, defaults included), which of
/// them main.cf sets, and the master.cf services with their `-o` overrides. Built from `postconf` output, so Postfix's
/// own parser decides what the files mean.
public struct PostfixSettings: Sendable, Equatable {
    /// One master.cf service.
    public struct Service: Sendable, Equatable {
        public var name: String
        public var type: String
        /// `y`, `n` or `-` as written (Postfix 3.0 and later read `-` as `n`).
        public var chroot: String
        /// The program (the command field's first word: `smtpd`, `postscreen`, `cleanup`...).
        public var command: String
        /// The command field's arguments (`user=relayguard argv=/usr/sbin/relayguard policy` for spawn).
        public var arguments = ""
        /// `-o name=value` overrides, expanded.
        public var overrides: [String: String]

        public init(name: String, type: String, chroot: String = "-", command: String, overrides: [String: String] = [:]) {
            self.name = name
            self.type = type
            self.chroot = chroot
            self.command = command
            self.overrides = overrides
        }

        /// `name/type`, as postconf -P and -F spell a service.
        public var id: String { "\(name)/\(type)" }
        public var isChrooted: Bool { chroot == "y" }
        /// The parameter's value in this service: its override, or main.cf's.
        public func value(_ parameter: String, in settings: PostfixSettings) -> String {
            overrides[parameter] ?? settings.parameters[parameter] ?? ""
        }
    }

    /// Parameter values as `postconf -x` prints them (defaults included, `$name` expanded).
    public var parameters: [String: String]
    /// Parameters main.cf sets (`postconf -n`).
    public var explicit: Set<String>
    public var services: [Service]

    public init(parameters: [String: String], explicit: Set<String> = [], services: [Service] = []) {
        self.parameters = parameters
        self.explicit = explicit
        self.services = services
    }

    /// The parameters `check-postfix` asks postconf for.
    public static let parameterNames = [
        "mail_version", "queue_directory", "smtpd_milters", "non_smtpd_milters", "milter_default_action",
        "milter_protocol", "relay_domains", "mydestination", "virtual_alias_domains", "virtual_mailbox_domains",
        "parent_domain_matches_subdomains", "mynetworks", "allow_untrusted_routing", "swap_bangpath",
        "allow_percent_hack", "smtpd_relay_restrictions", "smtpd_recipient_restrictions",
        "smtpd_policy_service_default_action",
    ]

    /// `name = value` lines (postconf's parameter output) into a dictionary. Lines without ` = ` are skipped.
    public static func parameters(fromPostconf output: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let separator = line.range(of: " =") else { continue }
            let name = String(line[..<separator.lowerBound])
            result[name] = String(line[separator.upperBound...]).trimmingBlanks()
        }
        return result
    }

    /// Services from `postconf -F` (`service/type/field = value`) and `postconf -P -x` (`service/type/name = value`),
    /// in master.cf order.
    public static func services(fields: String, overrides: String) -> [Service] {
        var order: [String] = []
        var byID: [String: Service] = [:]
        for (service, type, field, value) in entries(fields) {
            let id = "\(service)/\(type)"
            if byID[id] == nil {
                order.append(id)
                byID[id] = Service(name: service, type: type, command: "")
            }
            switch field {
            case "chroot": byID[id]?.chroot = value
            case "command":
                let words = value.split(separator: " ", maxSplits: 1)
                byID[id]?.command = String(words.first ?? "")
                byID[id]?.arguments = words.count > 1 ? String(words[1]) : ""
            default: break
            }
        }
        for (service, type, name, value) in entries(overrides) {
            byID["\(service)/\(type)"]?.overrides[name] = value
        }
        return order.compactMap { byID[$0] }
    }

    private static func entries(_ output: String) -> [(String, String, String, String)] {
        output.split(separator: "\n").compactMap { line in
            guard let separator = line.range(of: " =") else { return nil }
            let path = line[..<separator.lowerBound].split(separator: "/", maxSplits: 2)
            guard path.count == 3 else { return nil }
            return (String(path[0]), String(path[1]), String(path[2]), String(line[separator.upperBound...]).trimmingBlanks())
        }
    }
}

extension StringProtocol {
    func trimmingBlanks() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
