@testable import RelayGuardCore
import RelayPolicy
import Testing

/// The decision log's and `explain`'s fields, byte for byte: what admins grep, and what the end-to-end tests parse.
@Suite("DecisionFormat: key=value fields")
struct DecisionFormatTests {
    static let client = Client(address: .known(IPAddress("203.0.113.9")!))

    @Test("fields of decisions under the default policy", arguments: [
        ("<IMCEASMTP-v+40e+2Ecom@corp.example>",
         #"reply="550 5.7.1 <IMCEASMTP-v+40e+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed" rule=reroute-disabled form=imcea imcea_type=SMTP inner=v@e.com recipient=<IMCEASMTP-v+40e+2Ecom@corp.example>"#),
        ("<>", "reply=- rule=pass form=null inner=- recipient=<>"),
        (#"<"a b"@corp.example>"#, #"reply=- rule=pass form=plain inner=- recipient="<\"a b\"@corp.example>""#),
        (#"IMCEAINVALID-a\b@corp.example"#,
         #"reply="550 5.1.1 <IMCEAINVALID-a\\b@corp.example>: Recipient address rejected: encapsulated address type INVALID is not accepted" rule=imcea-reject-type form=imcea imcea_type=INVALID inner="a\\b" recipient="<IMCEAINVALID-a\\b@corp.example>""#),
        ("IMCEASMTP-a+0Db+40c.com@corp.example",
         #"reply="550 5.7.1 <IMCEASMTP-a+0Db+40c.com@corp.example>: encapsulated or routed address rejected: rerouting is not allowed" rule=reroute-disabled form=imcea imcea_type=SMTP inner="a\x0Db@c.com" recipient=<IMCEASMTP-a+0Db+40c.com@corp.example>"#),
    ])
    func fields(recipient: String, expected: String) {
        let decision = Policy().decide(recipient, client: Self.client)
        #expect(DecisionFormat.fields(decision) == expected)
        #expect(DecisionFormat.line(decision) == decision.verdict.rawValue + " " + expected)
    }

    @Test("a reply without an enhanced code, and values that must be quoted", arguments: [
        (Reply(code: "451", xcode: nil, text: "try \"later\""), #"reply="451 try \"later\"""#),
        (Reply(code: "550", xcode: "", text: ""), #"reply="550""#),
    ])
    func replies(reply: Reply, expected: String) {
        let decision = Decision(verdict: .tempfail, reply: reply, rule: .onError,
                                address: AddressDecoder.decode("<a@corp.example>"), wouldDeny: false)
        #expect(DecisionFormat.fields(decision).hasPrefix(expected + " rule=on-error "))
    }

    @Test("rcpt_addr follows the recipient only when it is another address", arguments: [
        ("<alice@corp.example>", nil, "continue reply=- rule=pass form=plain inner=- recipient=<alice@corp.example>"),
        ("<alice@corp.example>", "alice@corp.example", "continue reply=- rule=pass form=plain inner=- recipient=<alice@corp.example>"),
        ("<Alice@corp.example>", "alice@corp.example", "continue reply=- rule=pass form=plain inner=- recipient=<alice@corp.example>"),
        ("<postmaster>", "postmaster@gw.example", "continue reply=- rule=pass form=plain inner=- recipient=<postmaster> rcpt_addr=<postmaster@gw.example>"),
    ] as [(String, String?, String)])
    func rcptAddr(raw: String, rcptAddr: String?, expected: String) {
        let decision = Policy().decide(raw, parsed: rcptAddr, client: Self.client)
        #expect(DecisionFormat.line(decision, rcptAddr: rcptAddr) == expected)
    }

    @Test func rcptAddrIsQuotedLikeTheRecipient() {
        let decision = Policy().decide(#"<"Victim@elsewhere.com"@corp.example>"#, parsed: #""victim@elsewhere.com"@corp.example"#,
                                       client: Self.client)
        #expect(DecisionFormat.line(decision, rcptAddr: #""victim@elsewhere.com"@corp.example"#).hasSuffix(
            #" recipient="<\"Victim@elsewhere.com\"@corp.example>" rcpt_addr="<\"victim@elsewhere.com\"@corp.example>""#))
    }

    @Test("quotedIfNeeded", arguments: [
        ("plain", "plain"), ("", #""""#), ("two words", #""two words""#), ("a=b", #""a=b""#), ("tab\there", #""tab\x09here""#),
        ("ünïcode", "ünïcode"), (#"back\slash"#, #""back\\slash""#),
    ])
    func quoting(value: String, expected: String) {
        #expect(DecisionFormat.quotedIfNeeded(value) == expected)
    }

    @Test("a line that outgrows its stack scratch moves to the heap and keeps every byte")
    func scratchGrowth() {
        let pieces = (0..<200).map { "piece \($0);" }
        let text = LineBuffer.withScratch(capacity: 16) { line in
            for piece in pieces { line.append(piece) }
            line.append(literal: " end")
            return line.string
        }
        #expect(text == pieces.joined() + " end")
    }

    @Test("numbers are written in decimal", arguments: [0, 7, 10, 4_200_000, UInt64.max])
    func numbers(number: UInt64) {
        var line = LineBuffer()
        line.append(number)
        #expect(line.string == String(number))
    }
}
