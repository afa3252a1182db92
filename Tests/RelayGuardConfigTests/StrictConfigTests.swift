import Foundation
import RelayGuardConfig
import Testing

/// Issue 10 section 7: text that cannot mean what it seems to is an error naming `file:line`, never a value.
struct StrictConfigTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        /// Every error expected, in order.
        let errors: [String]
        var testDescription: String { name }
    }

    static let control = "; only printable text, spaces and TABs are allowed: remove it"

    static let rows: [Row] = [
        Row(name: "NUL inside a value", text: "reroute = no\nlocal_domains = corp.test\u{0}evil.test\n",
            errors: ["relayguard.conf:2: control character NUL (U+0000) in the line\(control)"]),
        Row(name: "ESC in a value", text: "local_domains = corp.test \u{1B}[8m\n",
            errors: ["relayguard.conf:1: control character ESC (U+001B) in the line\(control)"]),
        Row(name: "DEL", text: "reroute = no\u{7F}\n",
            errors: ["relayguard.conf:1: control character DEL (U+007F) in the line\(control)"]),
        Row(name: "a lone carriage return", text: "reroute = no\rreroute = yes\n",
            errors: ["relayguard.conf:1: control character carriage return (U+000D) in the line\(control)"]),
        Row(name: "a C1 control", text: "local_domains = corp.test\u{85}\n",
            errors: ["relayguard.conf:1: control character (U+0085) in the line\(control)"]),
        Row(name: "a control character on a continuation line", text: "local_domains = corp.test,\n  ev\u{1}il.test\n",
            errors: ["relayguard.conf:2: control character (U+0001) in the line\(control)"]),
        Row(name: "a byte-order mark", text: "\u{FEFF}reroute = no\n",
            errors: ["relayguard.conf:1: the file starts with a UTF-8 byte-order mark (EF BB BF), which would be read as part of the first line; save the file without it"]),
        Row(name: "a byte-order mark before a comment", text: "\u{FEFF}# RelayGuard\nreroute = no\n",
            errors: ["relayguard.conf:1: the file starts with a UTF-8 byte-order mark (EF BB BF), which would be read as part of the first line; save the file without it"]),
        Row(name: "a wildcard domain", text: "local_domains = corp.test *.corp.test\n",
            errors: ["relayguard.conf:1: local_domains: \"*.corp.test\" never matches: there are no wildcards; write \".corp.test\" (a leading dot means the subdomains)"]),
        Row(name: "a domain with @", text: "local_domains = @corp.test\n",
            errors: ["relayguard.conf:1: local_domains: \"@corp.test\" never matches: a domain has no @; write \"corp.test\""]),
        Row(name: "an address among the domains", text: "local_domains = alice@corp.test\n",
            errors: ["relayguard.conf:1: local_domains: \"alice@corp.test\" never matches: a domain has no @; write \"corp.test\", and the address in local_recipients"]),
        Row(name: "a domain with a prefix length", text: "local_domains = corp.test/24\n",
            errors: ["relayguard.conf:1: local_domains: \"corp.test/24\" never matches: a domain takes no prefix length; write \"corp.test\""]),
        Row(name: "an empty label", text: "local_domains = corp..test\n",
            errors: ["relayguard.conf:1: local_domains: \"corp..test\" is not a domain name (letters, digits, - and _, between single dots) (a leading dot means the subdomains)"]),
        Row(name: "a bad address literal", text: "local_domains = [corp.test]\n",
            errors: ["relayguard.conf:1: local_domains: \"[corp.test]\" is not an address literal such as [192.0.2.1] or [IPv6:2001:db8::1]"]),
        Row(name: "a recipient with a wildcard domain", text: "local_domains = corp.test\nlocal_recipients = alice@*.corp.test\n",
            errors: ["relayguard.conf:2: local_recipients: in \"alice@*.corp.test\": \"*.corp.test\" never matches: there are no wildcards; write \"corp.test\""]),
        Row(name: "an @ followed by a combining mark is still an @", text: "local_domains = corp.test\nlocal_recipients = @\u{301}corp.test\n",
            errors: ["relayguard.conf:2: local_recipients: \"@\u{301}corp.test\" never matches: an entry is an address or a bare local part, and there is no catch-all"]),
        Row(name: "a recipient without a local part", text: "local_domains = corp.test\nlocal_recipients = @corp.test\n",
            errors: ["relayguard.conf:2: local_recipients: \"@corp.test\" never matches: an entry is an address or a bare local part, and there is no catch-all"]),
    ]

    @Test(arguments: rows)
    func refuses(_ row: Row) {
        #expect(ConfigurationTests.errors(row.text) == row.errors)
    }

    @Test(arguments: [
        "local_domains = corp.test .corp.test corp.test. xn--bcher-kva.example bücher.example mail_1.corp.test",
        "local_domains = [192.0.2.1] [IPv6:2001:db8::1]",
        "local_domains = corp.test\nlocal_recipients = alice@corp.test postmaster bob@bücher.example",
        "local_domains = corp.test\t.corp.test",
    ])
    func acceptsUsableEntries(_ text: String) {
        #expect(ConfigurationTests.errors(text) == [])
    }

    @Test func emptyRerouteTypesWarn() throws {
        let warnings = try ConfigurationTests.parse("mode = enforce\nimcea_reroute_types =\n").warnings.map(\.description)
        #expect(warnings == ["relayguard.conf:2: warning: imcea_reroute_types is empty: IMCEASMTP and IMCEAX400 recipients are reroute attempts only when their payload carries @, % or ! (the default is SMTP X400: those types are refused whatever they carry)"])
        #expect(try ConfigurationTests.parse("imcea_reroute_types = SMTP\n").warnings == [])
    }

    /// The same rules in included files, ASCII or not.
    @Test(arguments: [
        ("192.0.2.0/24\n198.51.100.\u{0}0/24\n", "list:2: relay_clients: control character NUL (U+0000) in the line\(control)"),
        ("192.0.2.0/24 \u{1B}\n", "list:1: relay_clients: control character ESC (U+001B) in the line\(control)"),
        ("# café\n192.0.2.0/24\u{7F}\n", "list:2: relay_clients: control character DEL (U+007F) in the line\(control)"),
        ("\u{FEFF}192.0.2.0/24\n", "list:1: relay_clients: the file starts with a UTF-8 byte-order mark (EF BB BF), which would be read as part of the first line; save the file without it"),
    ])
    func refusesInIncludedFiles(contents: String, expected: String) throws {
        let (path, result) = try IncludedFileTests.load(contents, config: "reroute = yes\nrelay_clients = file:list.cidr 192.0.2.1\n")
        guard case .failure(let error) = result else {
            Issue.record("loaded")
            return
        }
        #expect(error.diagnostics.map { $0.description.replacingOccurrences(of: path, with: "list") } == [expected])
    }

    /// Repairing bad UTF-8 would hand the policy a U+FFFD the admin never wrote.
    @Test func includedFileThatIsNotUTF8() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(FileManager.default.createFile(atPath: scratch.at("list.cidr"), contents: Data([0x31, 0xFF, 0x0A])))
        try scratch.chmod("list.cidr", 0o644)
        let errors = ConfigurationTests.errors("reroute = yes\nrelay_clients = file:list.cidr 192.0.2.1\n", base: scratch.path)
        #expect(errors == ["relayguard.conf:2: relay_clients: included file \"\(scratch.at("list.cidr"))\": not UTF-8 text"])
    }

    @Test func domainEntriesInIncludedFilesNameTheirLine() throws {
        let (path, result) = try IncludedFileTests.load("corp.test\n*.corp.test\n", config: "local_domains = file:list.cidr\n")
        guard case .failure(let error) = result else {
            Issue.record("loaded")
            return
        }
        #expect(error.diagnostics.map(\.description) == [
            "\(path):2: local_domains: \"*.corp.test\" never matches: there are no wildcards; write \".corp.test\" (a leading dot means the subdomains)",
        ])
    }
}

/// Issue 10 section 4: the `recipient_delimiter` key.
struct RecipientDelimiterConfigTests {
    @Test func setsTheDelimitersOfLocalRecipients() throws {
        let configuration = try ConfigurationTests.parse("local_domains = corp.test\nlocal_recipients = alice@corp.test\nrecipient_delimiter = +-\n")
        #expect(configuration.policy.localRecipients?.delimiters == "+-")
        #expect(configuration.policy.localRecipients?.contains(localPart: "alice-tag", domain: "corp.test") == true)
        #expect(configuration.warnings == [])
        #expect(try ConfigurationTests.parse("local_recipients = alice@corp.test\n").policy.localRecipients?.delimiters == "")
    }

    @Test(arguments: [
        ("recipient_delimiter = + -", "relayguard.conf:1: recipient_delimiter: expected delimiter characters written together, such as + or +-, got \"+ -\" (white space)"),
        ("recipient_delimiter = +@", "relayguard.conf:1: recipient_delimiter: expected delimiter characters written together, such as + or +-, got \"+@\" (@ separates the domain)"),
        ("recipient_delimiter = +§", "relayguard.conf:1: recipient_delimiter: expected delimiter characters written together, such as + or +-, got \"+§\" (\"§\" is not ASCII)"),
    ])
    func refuses(text: String, expected: String) {
        #expect(ConfigurationTests.errors("local_recipients = alice@corp.test\n" + text).map { $0.replacingOccurrences(of: ":2:", with: ":1:") } == [expected])
    }

    @Test func warnsWithoutLocalRecipients() throws {
        #expect(try ConfigurationTests.parse("recipient_delimiter = +\n").warnings.map(\.description)
                == ["relayguard.conf:1: warning: recipient_delimiter has no effect: local_recipients is empty"])
    }
}
