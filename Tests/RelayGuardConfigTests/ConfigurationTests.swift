import Foundation
import RelayGuardConfig
import RelayPolicy
import Testing

struct ConfigurationTests {
    static func parse(_ text: String, base: String = "/") throws(ConfigError) -> Configuration {
        try Configuration.parse(text, file: "relayguard.conf", baseDirectory: base)
    }

    static func errors(_ text: String, base: String = "/") -> [String] {
        do {
            _ = try parse(text, base: base)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func embeddedDefaultIsSafe() throws {
        let configuration = try Self.parse("")
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.policy.reroute == false)
        #expect(configuration.policy.onError == .tempfail)
        #expect(configuration.policy.mode == .enforce)
        #expect(configuration.daemon.socket == .inet(port: 8894, host: "127.0.0.1"))
        #expect(Configuration.embeddedDefault.daemon.socket.description == "inet:8894@127.0.0.1")
    }

    @Test func readsEveryKindOfValue() throws {
        let configuration = try Self.parse("""
            # a site connector
            reroute = yes
            relay_clients = 192.0.2.0/24,
                2001:db8::/32 198.51.100.7
            relay_never = 192.0.2.66
            local_domains = corp.example, .corp.example
            reroute_action = tempfail
            relay_reply = 554 5.7.1 <%r>: go away
            socket = unix:/var/spool/postfix/relayguard/relayguard.sock
            socket_mode = 0660
            log = syslog
            """)
        let policy = configuration.policy
        #expect(policy.reroute)
        #expect(policy.relayClients.prefixCount == 3)
        #expect(policy.relayClients.contains(IPAddress("2001:db8::1")))
        #expect(policy.relayClients.contains(IPAddress("198.51.100.7")))
        #expect(!policy.relayClients.contains(IPAddress("198.51.100.8")))
        #expect(policy.relayNever.contains(IPAddress("192.0.2.66")))
        #expect(policy.localDomains?.contains("a.corp.example") == true)
        #expect(policy.rerouteAction == .tempfail)
        #expect(policy.relayReply.expand(recipient: "x@y").description == "554 5.7.1 <x@y>: go away")
        #expect(configuration.daemon.socket == .unix(path: "/var/spool/postfix/relayguard/relayguard.sock"))
        #expect(configuration.daemon.log == .syslog)
    }

    @Test(arguments: [
        ("rerout = yes", "relayguard.conf:1: unknown key \"rerout\" (did you mean \"reroute\"?)"),
        ("reroute = maybe", "relayguard.conf:1: reroute: expected yes or no, got \"maybe\""),
        ("reroute = no # off", "relayguard.conf:1: reroute: expected yes or no, got \"no # off\" (a # comment must be on a line of its own)"),
        ("\n\nmode = loud", "relayguard.conf:3: mode: expected one of enforce, report, got \"loud\""),
        ("relay_clients = 10.0.0.0/33", "relayguard.conf:1: relay_clients: "),
        ("relay_clients = 192.0.2.0/24 nonsense", "relayguard.conf:1: relay_clients: "),
        ("reroute = yes", "relayguard.conf:1: reroute = yes needs relay restrictions: set relay_clients, relay_authenticated = yes or relay_local_addresses (to reroute for everyone, write an explicit open relay: relay_clients = 0.0.0.0/0, ::/0)"),
        ("relay_reply = 450 4.7.1 wrong class", "relayguard.conf:1: relay_reply: expected a reply starting with a 5xx code"),
        ("relay_tempfail_reply = 554 5.7.1 wrong class", "relayguard.conf:1: relay_tempfail_reply: expected a reply starting with a 4xx code"),
        ("socket = tcp:8894", "relayguard.conf:1: socket: expected inet:PORT@HOST"),
        ("socket = inet:0@127.0.0.1", "relayguard.conf:1: socket: expected inet:PORT@HOST"),
        ("socket = unix:relative.sock", "relayguard.conf:1: socket: expected inet:PORT@HOST"),
        ("socket_mode = 0666", "relayguard.conf:1: socket_mode: 0666 makes the socket world-writable"),
        ("socket_mode = 660", "relayguard.conf:1: socket_mode: expected an octal mode such as 0660"),
        ("syslog_facility = kern", "relayguard.conf:1: syslog_facility: expected one of mail"),
        ("on_error = ignore", "relayguard.conf:1: on_error: expected one of tempfail, accept, got \"ignore\""),
        ("  reroute = no", "relayguard.conf:1: continuation line (starts with white space) with no setting before it"),
        ("reroute no", "relayguard.conf:1: expected \"key = value\", got \"reroute no\""),
        ("relay_clients = file:/nonexistent/relay.cidr", "relayguard.conf:1: relay_clients: cannot read included file \"/nonexistent/relay.cidr\": no such file"),
        ("imcea_exempt_types = notes smtp", "relayguard.conf:1: imcea_exempt_types: SMTP is also in imcea_reroute_types"),
        ("imcea_reroute_types = SMTP\n  smtpß", "relayguard.conf:1: imcea_reroute_types: \"smtpß\" is not an IMCEA type name"),
        ("imcea_reject_types = X-500", "relayguard.conf:1: imcea_reject_types: \"X-500\" is not an IMCEA type name"),
    ])
    func reportsErrorWithFileAndLine(text: String, expected: String) {
        let errors = Self.errors(text)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.hasPrefix(expected) == true, "\(errors)")
    }

    @Test func reportsEveryErrorAtOnce() {
        let errors = Self.errors("reroute = maybe\nmode = loud\nfoo = bar\n")
        #expect(errors.map { $0.prefix(18) } == ["relayguard.conf:1:", "relayguard.conf:2:", "relayguard.conf:3:"])
    }

    @Test func includedFilesNameTheirOwnLines() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rg-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "# peers\n192.0.2.0/24\n\n2001:db8::/32\n".write(to: directory.appendingPathComponent("good.cidr"), atomically: true, encoding: .utf8)
        try "192.0.2.0/24\n300.1.1.1\n".write(to: directory.appendingPathComponent("bad.cidr"), atomically: true, encoding: .utf8)

        let good = try Self.parse("reroute = yes\nrelay_clients = file:good.cidr 198.51.100.1", base: directory.path)
        #expect(good.policy.relayClients.prefixCount == 3)
        #expect(good.policy.relayClients.contains(IPAddress("2001:db8::9")))

        let errors = Self.errors("reroute = yes\nrelay_clients = file:bad.cidr", base: directory.path)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix(directory.path + "/bad.cidr:2: relay_clients: ") == true, "\(errors)")
    }

    @Test(arguments: [
        ("mode = report", "relayguard.conf:1: warning: mode = report: nothing is rejected"),
        ("reroute = yes\nrelay_clients = 0.0.0.0/0, ::/0", "relayguard.conf:2: warning: relay_clients: \"0.0.0.0/0\" matches every address"),
        ("reroute = yes\nrelay_clients = 192.0.2.7/24", "relayguard.conf:2: warning: relay_clients: \"192.0.2.7/24\" has host bits set; it matches as 192.0.2.0/24"),
        ("reroute = yes\nrelay_authenticated = yes", "relayguard.conf:2: warning: relay_authenticated = yes trusts Postfix's {auth_authen}"),
        ("relay_clients = 192.0.2.0/24", "relayguard.conf:1: warning: relay_clients has no effect"),
        ("mode = enforce\nmode = report", "relayguard.conf:2: warning: mode is also set on line 1"),
        ("imcea_exempt_types = NOTES x500", "relayguard.conf:1: warning: imcea_exempt_types: X500 has no effect: imcea_reject_types rejects it first"),
        ("imcea_reroute_types = X400\nimcea_exempt_types = smtp", "relayguard.conf:2: warning: imcea_exempt_types: SMTP exempts IMCEASMTP"),
    ])
    func warns(text: String, expected: String) throws {
        let warnings = try Self.parse(text).warnings.map(\.description)
        #expect(warnings.contains { $0.hasPrefix(expected) }, "\(warnings)")
    }

    @Test func imceaExemptTypesAreReadUppercased() throws {
        #expect(try Self.parse("").policy.imceaExemptTypes.isEmpty)
        let policy = try Self.parse("imcea_exempt_types = notes, Fax\n  MOBILE").policy
        #expect(policy.imceaExemptTypes == ["NOTES", "FAX", "MOBILE"])
        let client = Client(address: .known(IPAddress("203.0.113.9")!))
        #expect(policy.decide("IMCEANOTES-victim+40elsewhere+2Ecom@corp.test", client: client).verdict == .continue)
        #expect(policy.decide("IMCEAMSMAIL-victim+40elsewhere+2Ecom@corp.test", client: client).verdict == .reject)
    }

    @Test func showConfigPrintsEveryKeyAndParsesBack() throws {
        let configuration = try Self.parse("reroute = yes\nrelay_clients = 192.0.2.0/24,\n  198.51.100.0/24\n")
        let rendered = configuration.render()
        for key in ConfigKey.all { #expect(rendered.contains("\n\(key.name) = "), "\(key.name)") }
        #expect(rendered.contains("\nrelay_clients = 192.0.2.0/24, 198.51.100.0/24\n"))
        let again = try Self.parse(rendered)
        #expect(again.render().split(separator: "\n").dropFirst() == rendered.split(separator: "\n").dropFirst())
    }

    /// Found by the config fuzzer: `relay_never =` with its value on the next line rendered as `relay_never =  2.0.2.66`.
    @Test func valueStartingOnAContinuationLineHasNoLeadingBlank() throws {
        let configuration = try Self.parse("relay_never =\n 192.0.2.66\nlocal_domains = \n\tcorp.example\n")
        let rendered = configuration.render()
        #expect(rendered.contains("\nrelay_never = 192.0.2.66\n"), "\(rendered)")
        #expect(rendered.contains("\nlocal_domains = corp.example\n"), "\(rendered)")
        #expect(try Self.parse(rendered).render() == rendered)
    }

    @Test func defaultsAreValid() throws {
        for key in ConfigKey.all {
            let configuration = try Self.parse("\(key.name) = \(key.defaultValue)")
            #expect(configuration.warnings.isEmpty, "\(key.name): \(configuration.warnings)")
        }
    }

    @Test func readsCRLFLineEndings() throws {
        let configuration = try Self.parse("# written on Windows\r\nreroute = yes\r\nrelay_clients = 192.0.2.0/24,\r\n  198.51.100.0/24\r\n")
        #expect(configuration.policy.reroute)
        #expect(configuration.policy.relayClients.prefixCount == 2)
        #expect(Self.errors("# comment\r\nrerout = yes\r\n") == ["relayguard.conf:2: unknown key \"rerout\" (did you mean \"reroute\"?)"])
    }

    @Test func readsCRLFIncludedFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rg-crlf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "# peers\r\n192.0.2.0/24\r\n2001:db8::/32\r\n".write(to: directory.appendingPathComponent("crlf.cidr"), atomically: true, encoding: .utf8)
        let configuration = try Self.parse("reroute = yes\nrelay_clients = file:crlf.cidr", base: directory.path)
        #expect(configuration.policy.relayClients.prefixCount == 2)
    }

    @Test func worldWritableFilesAreRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rg-perm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("relayguard.conf").path
        let list = directory.appendingPathComponent("peers.cidr").path
        try "192.0.2.0/24\n".write(toFile: list, atomically: true, encoding: .utf8)
        try "reroute = yes\nrelay_clients = file:peers.cidr\n".write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)
        try FileManager.default.setAttributes([.posixPermissions: 0o646], ofItemAtPath: list)
        // Each refusal is asserted on the error thrown; a load that succeeds fails the test.
        let listRefused = #expect(throws: ConfigError.self) { try Configuration.load(path: config) }
        // The list is refused, so reroute = yes is then also without restrictions: two errors.
        #expect(listRefused?.diagnostics.map(\.description) == [
            "\(config):1: reroute = yes needs relay restrictions: set relay_clients, relay_authenticated = yes or relay_local_addresses (to reroute for everyone, write an explicit open relay: relay_clients = 0.0.0.0/0, ::/0)",
            "\(config):2: relay_clients: included file \"\(list)\": world-writable (mode 646): any local user could change the relay policy; run chmod o-w \(list)",
        ])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: list)
        #expect(try Configuration.load(path: config).policy.relayClients.prefixCount == 1)
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: config)
        let configRefused = #expect(throws: ConfigError.self) { try Configuration.load(path: config) }
        #expect(configRefused?.description == "\(config): world-writable (mode 666): any local user could change the relay policy; run chmod o-w \(config)")
    }

    @Test func longListsNameTheFirstProblemsAndCountTheRest() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rg-many-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hostBits = (0..<1000).map { "10.\($0 / 256).\($0 % 256).1/24" }.joined(separator: "\n")
        try hostBits.write(to: directory.appendingPathComponent("host-bits.cidr"), atomically: true, encoding: .utf8)
        let warnings = try Self.parse("reroute = yes\nrelay_clients = file:host-bits.cidr", base: directory.path).warnings
        #expect(warnings.count == 21)
        #expect(warnings.map(\.description).contains("relayguard.conf:2: warning: relay_clients: 980 more entries have host bits set (the first 20 are listed)"))

        let bad = (0..<30).map { "300.0.0.\($0)" }.joined(separator: "\n")
        try bad.write(to: directory.appendingPathComponent("bad.cidr"), atomically: true, encoding: .utf8)
        let errors = Self.errors("reroute = yes\nrelay_clients = file:bad.cidr", base: directory.path)
        // 20 listed, the count of the rest, and reroute = yes left without a valid relay_clients entry.
        #expect(errors.count == 22)
        #expect(errors.contains("relayguard.conf:2: relay_clients: 10 more entries are not prefixes (the first 20 are listed)"))
    }

    @Test func missingFileIsAnError() {
        #expect(throws: ConfigError.self) { try Configuration.load(path: "/nonexistent/relayguard.conf") }
    }
}
