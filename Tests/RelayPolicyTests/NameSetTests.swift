import RelayPolicy
import Testing

/// `DomainSet` and `RecipientSet` answer from bytes, ASCII as written and anything else in canonical form (lowercased,
/// NFC); the answers must be those String equality of lowercased names gives.
struct NameSetTests {
    @Test(arguments: [
        // (entries, query, expected)
        (["corp.example"], "corp.example", true),
        (["corp.example"], "CORP.Example", true),
        (["corp.example"], "corp.example.", true),
        (["corp.example."], "corp.example", true),
        (["Corp.Example"], "corp.example", true),
        (["corp.example"], "corp.example..", false),
        (["corp.example"], "eu.corp.example", false),
        (["corp.example"], "orp.example", false),
        (["corp.example"], "xcorp.example", false),
        (["corp.example"], "", false),
        ([".corp.example"], "eu.corp.example", true),
        ([".corp.example"], "a.b.EU.corp.example.", true),
        ([".corp.example"], "corp.example", false),
        ([".corp.example"], ".corp.example", true),
        ([".corp.example"], "xcorp.example", false),
        (["."], ".", true),
        (["."], "", false),
        (["."], "..", true),
        (["ß.example"], "ß.example", true),
        (["ß.example"], "SS.example", false),
        (["Ä.example"], "ä.example", true),
        (["ä.example"], "Ä.EXAMPLE", true),
        (["corp.example"], "Ä.corp.example", false),
        ([".corp.example"], "Ä.corp.example", true),
        (["é.example"], "e\u{301}.example", true),  // canonically equivalent, as String equality says
        (["k.example"], "\u{212A}.example", true),  // KELVIN SIGN lowercases to k
    ])
    func domainSet(entries: [String], query: String, expected: Bool) {
        #expect(DomainSet(entries).contains(query) == expected)
    }

    @Test(arguments: [
        // (entries, local part, domain, expected)
        (["alice@corp.example"], "alice", "corp.example", true),
        (["alice@corp.example"], "ALICE", "Corp.Example.", true),
        (["Alice@Corp.Example"], "alice", "corp.example", true),
        (["alice@corp.example"], "alice", "eu.corp.example", false),
        (["alice@corp.example"], "alic", "corp.example", false),
        (["alice@corp.example"], "alice@corp.example", "", false),
        (["postmaster"], "Postmaster", "anything.example", true),
        (["postmaster"], "postmaster2", "corp.example", false),
        (["a@b@corp.example"], "a@b", "corp.example", true),
        (["josé@corp.example"], "JOSÉ", "corp.example", true),
        (["jose@corp.example"], "josé", "corp.example", false),
        (["alice@corp.example"], "alice", "CORP.EXAMPLE", true),
        (["alice@ä.example"], "alice", "Ä.example", true),
    ])
    func recipientSet(entries: [String], localPart: String, domain: String, expected: Bool) {
        #expect(RecipientSet(entries).contains(localPart: localPart, domain: domain) == expected)
    }

    @Test func equalityIgnoresHowTheSetWasSpelled() {
        #expect(DomainSet(["Corp.Example."]) == DomainSet(["corp.example"]))
        #expect(DomainSet(["corp.example"]) != DomainSet([".corp.example"]))
        #expect(RecipientSet(["Alice@Corp.Example"]) == RecipientSet(["alice@corp.example"]))
    }
}
