import RelayPolicy
import Testing

/// `recipient_delimiter` as Postfix reads it (postconf(5), split_addr): the local part is cut at the first character
/// that is in the delimiter set, and the address is looked up whole first, then without the extension.
struct RecipientDelimiterTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        var entries = ["alice@corp.test"]
        let delimiters: String
        let localPart: String
        var domain = "corp.test"
        let expected: Bool
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "an extension after +", delimiters: "+", localPart: "alice+tag", expected: true),
        Row(name: "no delimiter by default, as in Postfix", delimiters: "", localPart: "alice+tag", expected: false),
        Row(name: "the address without extension", delimiters: "+", localPart: "alice", expected: true),
        Row(name: "case-insensitive, extension included", delimiters: "+", localPart: "ALICE+Tag", expected: true),
        Row(name: "an empty extension", delimiters: "+", localPart: "alice+", expected: true),
        Row(name: "a character not in the set", delimiters: "+", localPart: "alice-tag", expected: false),
        Row(name: "any of several delimiters", delimiters: "+-", localPart: "alice-tag", expected: true),
        Row(name: "the first occurrence of any of them", delimiters: "+-", localPart: "alice+x-y", expected: true),
        Row(name: "cut once, at the first occurrence", entries: ["bob-x@corp.test"], delimiters: "+-", localPart: "bob-x+y", expected: false),
        Row(name: "the whole address is looked up first", entries: ["bob-x@corp.test"], delimiters: "-", localPart: "bob-x", expected: true),
        Row(name: "a leading delimiter does not cut", entries: ["alice@corp.test", "+tag@corp.test"], delimiters: "+", localPart: "+tag", expected: true),
        Row(name: "a leading delimiter leaves nothing to look up", delimiters: "+", localPart: "+alice", expected: false),
        Row(name: "another domain", delimiters: "+", localPart: "alice+tag", domain: "eu.corp.test", expected: false),
        Row(name: "a bare local part entry", entries: ["alice"], delimiters: "+", localPart: "alice+tag", domain: "any.test", expected: true),
        Row(name: "owner- is not cut when - is a delimiter", entries: ["owner"], delimiters: "-", localPart: "owner-list", expected: false),
        Row(name: "-request is not cut when - is a delimiter", entries: ["list"], delimiters: "-", localPart: "list-request", expected: false),
        Row(name: "owner+ is cut when - is not a delimiter", entries: ["owner"], delimiters: "+", localPart: "owner+list", expected: true),
        Row(name: "mailer-daemon is never cut", entries: ["mailer"], delimiters: "-", localPart: "mailer-daemon", expected: false),
        Row(name: "a non-ASCII local part", entries: ["josé@corp.test"], delimiters: "+", localPart: "JOSÉ+x", expected: true),
    ]

    @Test(arguments: rows)
    func matches(_ row: Row) {
        var set = RecipientSet(row.entries)
        set.delimiters = row.delimiters
        #expect(set.contains(localPart: row.localPart, domain: row.domain) == row.expected)
    }

    @Test func policyAcceptsAnExtensionOfAListedRecipient() {
        var policy = Policy()
        policy.localDomains = DomainSet(["corp.test"])
        policy.localRecipients = RecipientSet(["alice@corp.test"])
        policy.localRecipients?.delimiters = "+"
        let client = Client(address: .known(IPAddress("203.0.113.9")!))
        #expect(policy.decide("<alice+tag@corp.test>", client: client).rule == .pass)
        #expect(policy.decide("<bob+alice@corp.test>", client: client).rule == .unknownRecipient)
    }
}
