import Foundation
import RelayPolicy

/// A validated relayguard.conf: the policy, the daemon settings, the warnings, and every key's effective value.
public struct Configuration: Sendable {
    /// The default path of the config file.
    public static let defaultPath = "/etc/relayguard/relayguard.conf"

    public var policy = Policy()
    public var daemon = DaemonSettings()
    /// Problems that do not stop loading (`check-config` prints them).
    public var warnings: [ConfigDiagnostic] = []
    /// Each key with its value as written, or its default, in `ConfigKey.all` order.
    public var effective: [(key: String, value: String, isDefault: Bool)] = []
    /// Where it was read from; `nil` for the embedded default.
    public var source: String?

    /// The embedded default, used when RelayGuard runs without a config file.
    public static var embeddedDefault: Configuration {
        // The defaults are constants; the tests check they parse without a diagnostic.
        (try? parse("", file: "(embedded default)", baseDirectory: "/")) ?? Configuration()
    }

    /// Reads and validates a config file. Throws every error found, each naming `file:line`. The file, its
    /// includes and every directory on their paths must be owned by an account in `trust` and writable by nobody
    /// else (see `TrustedFile`); the default trusts root and the running user.
    public static func load(path: String, trust: FileTrust = .processOwner) throws(ConfigError) -> Configuration {
        let data: [UInt8]
        do { data = try TrustedFile.read(path, trust: trust) } catch {
            switch error {
            case .unreadable(let reason):
                throw ConfigError([ConfigDiagnostic(file: path, line: 0, message: "cannot read config file: \(reason)")])
            case .untrusted(let problem):
                throw ConfigError([ConfigDiagnostic(file: path, line: 0, message: problem)])
            }
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ConfigError([ConfigDiagnostic(file: path, line: 0, message: "not UTF-8 text")])
        }
        let directory = (path as NSString).deletingLastPathComponent
        var configuration = try parse(text, file: path, baseDirectory: directory.isEmpty ? "." : directory, trust: trust)
        configuration.source = path
        return configuration
    }

    /// Parses config text; `file` names it in diagnostics, `baseDirectory` resolves relative `file:` includes, and
    /// `trust` says who may own the included files and the directories on their paths.
    public static func parse(_ text: String, file: String, baseDirectory: String,
                             trust: FileTrust = .processOwner) throws(ConfigError) -> Configuration {
        var diagnostics: [ConfigDiagnostic] = []
        var configuration = Configuration()
        var given: [String: ConfigEntry] = [:]
        for entry in ConfigFile.parse(text, file: file, diagnostics: &diagnostics) {
            guard ConfigKey.byName[entry.key] != nil else {
                let hint = suggestion(for: entry.key).map { " (did you mean \"\($0)\"?)" } ?? ""
                diagnostics.append(ConfigDiagnostic(file: file, line: entry.line, message: "unknown key \"\(entry.key)\"\(hint)"))
                continue
            }
            if let earlier = given[entry.key] {
                diagnostics.append(ConfigDiagnostic(file: file, line: entry.line,
                    message: "\(entry.key) is also set on line \(earlier.line); this later value wins", severity: .warning))
            }
            given[entry.key] = entry
        }
        for key in ConfigKey.all {
            let entry = given[key.name]
            let value = ConfigValue(key: key.name, text: entry?.value ?? key.defaultValue, file: file,
                                    line: entry?.line ?? 0, baseDirectory: baseDirectory, trust: trust)
            key.apply(value, &configuration, &diagnostics)
            configuration.effective.append((key.name, value.text, entry == nil))
        }
        configuration.check(given: given, file: file, into: &diagnostics)
        diagnostics = inFileOrder(diagnostics, mainFile: file)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else { throw ConfigError(errors) }
        configuration.warnings = diagnostics
        return configuration
    }

    /// In file order, the config file's own lines first, as an admin reads them: sorted by (not the main file, file,
    /// line, position found). Each file name is ranked once, so the n log n comparisons compare integers rather than
    /// paths; an included file of a million prefixes can bring hundreds of thousands of host-bits warnings.
    static func inFileOrder(_ diagnostics: [ConfigDiagnostic], mainFile: String) -> [ConfigDiagnostic] {
        let files = Set(diagnostics.map(\.file)).sorted { ($0 == mainFile ? 0 : 1, $0) < ($1 == mainFile ? 0 : 1, $1) }
        let rank = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
        var keys: [(rank: Int, line: Int, offset: Int)] = []
        keys.reserveCapacity(diagnostics.count)
        var lastFile: String?
        var lastRank = 0
        for (offset, diagnostic) in diagnostics.enumerated() {
            if lastFile != diagnostic.file {
                lastFile = diagnostic.file
                lastRank = rank[diagnostic.file] ?? 0
            }
            keys.append((lastRank, diagnostic.line, offset))
        }
        keys.sort { ($0.rank, $0.line, $0.offset) < ($1.rank, $1.line, $1.offset) }
        return keys.map { diagnostics[$0.offset] }
    }

    /// Rules across keys, and warnings about settings that open relaying wider than an admin may think.
    private func check(given: [String: ConfigEntry], file: String, into diagnostics: inout [ConfigDiagnostic]) {
        func line(_ key: String) -> Int { given[key]?.line ?? 0 }
        if policy.reroute && !policy.hasRelayRestrictions {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("reroute"), message:
                "reroute = yes needs relay restrictions: set relay_clients, relay_authenticated = yes or relay_local_addresses "
                + "(to reroute for everyone, write an explicit open relay: relay_clients = 0.0.0.0/0, ::/0)"))
        }
        for type in policy.imceaExemptTypes.intersection(policy.imceaRerouteTypes).sorted() {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("imcea_exempt_types"), message:
                "imcea_exempt_types: \(type) is also in imcea_reroute_types, which makes it a reroute attempt whatever its payload; remove it from one of them"))
        }
        if policy.imceaExemptTypes.contains("SMTP") && !policy.imceaRerouteTypes.contains("SMTP") {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("imcea_exempt_types"), message:
                "imcea_exempt_types: SMTP exempts IMCEASMTP, the address Exchange decapsulates and relays to the internet", severity: .warning))
        }
        for type in policy.imceaExemptTypes.intersection(policy.imceaRejectTypes).sorted() {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("imcea_exempt_types"), message:
                "imcea_exempt_types: \(type) has no effect: imcea_reject_types rejects it first", severity: .warning))
        }
        if policy.imceaRerouteTypes.isEmpty {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("imcea_reroute_types"), message:
                "imcea_reroute_types is empty: IMCEASMTP and IMCEAX400 recipients are reroute attempts only when their payload "
                + "carries @, % or ! (the default is SMTP X400: those types are refused whatever they carry)", severity: .warning))
        }
        if policy.mode == .report {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("mode"), message:
                "mode = report: nothing is rejected, denials are only logged", severity: .warning))
        }
        if policy.relayAuthenticated {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("relay_authenticated"), message:
                "relay_authenticated = yes trusts Postfix's {auth_authen}: it needs smtpd_sasl_auth_enable = yes, and the macro in milter_mail_macros", severity: .warning))
        }
        if policy.localRecipients == nil, given["recipient_delimiter"].map({ !$0.value.isEmpty }) == true {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("recipient_delimiter"), message:
                "recipient_delimiter has no effect: local_recipients is empty", severity: .warning))
        }
        if policy.localRecipients != nil && policy.reroute {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("local_recipients"), message:
                "local_recipients is only used with reroute = no", severity: .warning))
        }
        if let metrics = daemon.metricsListen, metrics.isWildcard {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("metrics_listen"), message:
                "metrics_listen = \(given["metrics_listen"]?.value ?? "\(metrics)") listens on every address: anyone who can "
                + "reach the port reads the counters; name the address, e.g. \(metrics.onLoopback)", severity: .warning))
        }
        if let policySocket = daemon.policySocket, policySocket.isWildcard {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("policy_socket"), message:
                "policy_socket = \(given["policy_socket"]?.value ?? "\(policySocket)") listens on every address: anyone who can "
                + "reach the port asks for decisions and takes policy_max_connections places; name the address, e.g. "
                + "\(policySocket.onLoopback), or use a unix socket", severity: .warning))
        }
        if !daemon.serveMilter && daemon.policySocket == nil {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("socket"), message:
                "socket = none needs policy_socket: relayguard run would serve nothing"))
        }
        if daemon.serveMilter, let policySocket = daemon.policySocket, policySocket == daemon.socket {
            diagnostics.append(ConfigDiagnostic(file: file, line: line("policy_socket"), message:
                "policy_socket = \(policySocket) is also the milter's socket; give each its own"))
        }
        if !policy.reroute && policy.localDomains == nil {
            for key in ["relay_clients", "relay_never", "relay_local_addresses", "relay_authenticated"]
            where given[key].map({ !$0.value.isEmpty && $0.value != "no" }) == true {
                diagnostics.append(ConfigDiagnostic(file: file, line: line(key), message:
                    "\(key) has no effect: reroute = no and local_domains is empty", severity: .warning))
            }
        }
    }

    /// The closest known key, for "did you mean".
    static func suggestion(for key: String) -> String? {
        let scored = ConfigKey.all.map { ($0.name, editDistance(key, $0.name)) }.min { $0.1 < $1.1 }
        guard let (name, distance) = scored, distance <= max(2, key.count / 3) else { return nil }
        return name
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The effective settings in relayguard.conf syntax, defaults included (`show-config`).
    public func render() -> String {
        var out = "# effective RelayGuard settings" + (source.map { " from \($0)" } ?? " (embedded default)") + "\n"
        for (key, value, _) in effective {
            out += "\(key) = \(value)\n"
        }
        return out
    }
}
