import RelayPolicy
@testable import SMTPProbe
import Testing

@Suite("probe: the test set")
struct ProbeFormTests {
    static let forms = ProbeForm.builtIn(domain: "corp.example", literal: "[192.0.2.1]", target: "victim@elsewhere.example")

    @Test("every family once, the routed ones also at the address literal")
    func families() {
        let families = Self.forms.map(\.family)
        #expect(Set(families).count == families.count)
        for routed in ["percent-hack", "bang-path", "quoted-at", "quoted-percent", "double-at", "source-route", "imcea-smtp"] {
            #expect(families.contains(routed))
            #expect(families.contains(routed + "-literal"))
        }
        #expect(Self.forms.first { $0.family == "source-route-literal" }?.recipient == "@[192.0.2.1]:victim@elsewhere.example")
        #expect(Self.forms.first { $0.family == "imcea-smtp" }?.recipient == "IMCEASMTP-victim+40elsewhere+2Eexample@corp.example")
        #expect(Self.forms.first { $0.family == "domino-list" }?.recipient == "\"victim@elsewhere.example, victim2@elsewhere.example\"@corp.example")
    }

    @Test("RelayGuard's decoder reads every encapsulated form back to the target (the encoder and decoder agree)")
    func decoderAgrees() {
        for form in Self.forms where form.family.hasPrefix("imcea-smtp") || form.family == "imcea-utf8" || form.family == "imcea-quoted" {
            #expect(AddressDecoder.decode(form.recipient).inner == "victim@elsewhere.example", "\(form)")
        }
        let nested = AddressDecoder.decode(Self.forms.first { $0.family == "imcea-nested" }!.recipient)
        #expect(nested.layers.count == 2)
        #expect(nested.inner == "victim@elsewhere.example")
        let x400 = AddressDecoder.decode(Self.forms.first { $0.family == "imcea-x400" }!.recipient)
        #expect(x400.inner == "victim@elsewhere.example")
    }

    @Test("the default policy refuses every built-in form but the plain relay (Postfix's own job)")
    func defaultPolicyRefusesThem() {
        let outside = Client(address: .known(IPAddress("203.0.113.9")!))
        var policy = Policy()
        policy.localDomains = DomainSet(["corp.example"])
        for form in Self.forms where form.family != "plain-relay" && !form.family.hasSuffix("-literal") {
            #expect(policy.decide(form.recipient, client: outside).verdict != .continue, "\(form)")
        }
    }

    @Test("a forms file: placeholders replaced, comments skipped, a bad line named")
    func formsFile() throws {
        let forms = try ProbeForm.parse("# mine\n\nvendor-x  {user}#{target_domain}@{domain}\nliteral \"{target}\"@{literal}\n",
                                        file: "f", domain: "corp.example", literal: "[192.0.2.1]", target: "v@e.example")
        #expect(forms == [ProbeForm(family: "vendor-x", recipient: "v#e.example@corp.example"),
                          ProbeForm(family: "literal", recipient: "\"v@e.example\"@[192.0.2.1]")])
        #expect(throws: ProbeError.self) { try ProbeForm.parse("only-a-family\n", file: "f", domain: "d", literal: nil, target: "v@e") }
        do {
            _ = try ProbeForm.parse("ok a@b\nbad\n", file: "forms.txt", domain: "d", literal: nil, target: "v@e")
            Issue.record("a line without a recipient was accepted")
        } catch {
            #expect(error.description == "forms.txt:2: expected FAMILY RECIPIENT")
        }
    }

    @Test("a forms file with CRLF line ends reads as lines; a CR LF inside a value is caught")
    func crlf() throws {
        let forms = try ProbeForm.parse("# mine\r\nvendor a@{domain}\r\nother b@{domain}\r\n", file: "f", domain: "corp.example",
                                        literal: nil, target: "v@e.example")
        #expect(forms == [ProbeForm(family: "vendor", recipient: "a@corp.example"), ProbeForm(family: "other", recipient: "b@corp.example")])
        #expect(ProbeForm.hasLineBreakOrNUL("x\r\nQUIT"))
        #expect(!ProbeForm.hasLineBreakOrNUL("x.example"))
    }

    @Test(arguments: [("victim@elsewhere.com", "victim+40elsewhere+2Ecom"), ("/o=Org/cn=a b", "_o=Org_cn=a+20b"), ("a+b", "a+2Bb")])
    func imceaEncoding(_ text: String, _ encoded: String) {
        #expect(IMCEAText.encode(text) == encoded)
    }
}
