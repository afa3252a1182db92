@testable import RelayPolicy
import Testing

@Suite("AddressDecoder")
struct AddressDecoderTests {
    /// One RCPT argument and what decoding it must give. Every case checks form, imceaType and inner exactly; the
    /// optional fields are checked only when set.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let raw: String
        let form: AddressForm
        var imceaType: String?
        var inner: String?
        var recipient: String?
        var localPart: String?
        var domain: String?
        var layers: [IMCEALayer]?
        var testDescription: String { name }
    }

    static func check(_ testCase: Case) {
        let decoded = AddressDecoder.decode(testCase.raw)
        #expect(decoded.form == testCase.form)
        #expect(decoded.imceaType == testCase.imceaType)
        #expect(decoded.inner == testCase.inner)
        #expect(decoded.depthExceeded == false)
        if let recipient = testCase.recipient { #expect(decoded.recipient == recipient) }
        if let localPart = testCase.localPart { #expect(decoded.localPart == localPart) }
        if let domain = testCase.domain { #expect(decoded.domain == domain) }
        if let layers = testCase.layers { #expect(decoded.layers == layers) }
        if testCase.form != .imcea { #expect(decoded.layers.isEmpty) }
    }

    // MARK: - Null and plain

    static let plainCases: [Case] = [
        .init(name: "empty", raw: "", form: .null, recipient: "", localPart: "", domain: ""),
        .init(name: "angle brackets only", raw: "<>", form: .null, recipient: "", localPart: "", domain: ""),
        .init(name: "spaced brackets", raw: "  < >  ", form: .null, recipient: ""),
        .init(name: "lone @ is the null address, as in Postfix", raw: "@", form: .null, recipient: "@"),
        .init(name: "bracketed lone @", raw: "<@>", form: .null, recipient: "@"),
        .init(
            name: "plain", raw: "user@corp.example", form: .plain,
            recipient: "user@corp.example", localPart: "user", domain: "corp.example"
        ),
        .init(
            name: "plain in brackets", raw: "<user@corp.example>", form: .plain,
            recipient: "user@corp.example", localPart: "user", domain: "corp.example"
        ),
        .init(
            name: "whitespace around brackets", raw: " \t<user@corp.example>\r\n", form: .plain,
            recipient: "user@corp.example", localPart: "user", domain: "corp.example"
        ),
        .init(
            name: "domain lowercased, local part kept", raw: "User.Name@CORP.Example", form: .plain,
            localPart: "User.Name", domain: "corp.example"
        ),
        .init(name: "plus tag", raw: "user+tag@corp.example", form: .plain, localPart: "user+tag"),
        .init(name: "no domain", raw: "postmaster", form: .plain, localPart: "postmaster", domain: ""),
        .init(name: "no domain in brackets", raw: "<postmaster>", form: .plain, recipient: "postmaster", domain: ""),
        .init(
            name: "IPv4 domain literal", raw: "user@[192.0.2.1]", form: .plain,
            localPart: "user", domain: "[192.0.2.1]"
        ),
        .init(
            name: "IPv6 domain literal lowercased", raw: "<user@[IPv6:2001:DB8::1]>", form: .plain,
            localPart: "user", domain: "[ipv6:2001:db8::1]"
        ),
        .init(
            name: "SMTPUTF8", raw: "üser@exämple.com", form: .plain,
            recipient: "üser@exämple.com", localPart: "üser", domain: "exämple.com"
        ),
        .init(
            name: "SMTPUTF8 domain: only ASCII is lowercased", raw: "Ü@EXÄMPLE.COM", form: .plain,
            localPart: "Ü", domain: "exÄmple.com"
        ),
        .init(
            name: "quoted local part with a space", raw: "\"john doe\"@corp.example", form: .plain,
            localPart: "john doe", domain: "corp.example"
        ),
        .init(name: "quoted local part with escaped quote", raw: "\"a\\\"b\"@x", form: .plain, localPart: "a\"b", domain: "x"),
        .init(name: "IMCEA prefix without a dash", raw: "IMCEASMTP@corp.example", form: .plain, localPart: "IMCEASMTP"),
        .init(name: "bare IMCEA", raw: "imcea@corp.example", form: .plain, localPart: "imcea"),
        .init(name: "IMCEA not at the start", raw: "xIMCEASMTP-a+40b@corp", form: .plain),
        .init(name: "empty local part", raw: "@corp.example", form: .plain, localPart: "", domain: "corp.example"),
        .init(name: "empty domain", raw: "user@", form: .plain, localPart: "user", domain: ""),
        .init(name: "route without a mailbox is not a route", raw: "@hop:", form: .plain, localPart: "", domain: "hop:"),
    ]

    @Test("null and plain", arguments: plainCases)
    func plain(_ testCase: Case) { Self.check(testCase) }

    // MARK: - IMCEA types and spellings

    static let imceaCases: [Case] = [
        .init(
            name: "SMTP", raw: "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example", form: .imcea,
            imceaType: "SMTP", inner: "victim@elsewhere.com",
            recipient: "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example",
            localPart: "IMCEASMTP-victim+40elsewhere+2Ecom", domain: "corp.example",
            layers: [.init(type: "SMTP", body: "victim@elsewhere.com", smtpAddress: "victim@elsewhere.com")]
        ),
        .init(
            name: "SMTP in brackets", raw: "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>", form: .imcea,
            imceaType: "SMTP", inner: "victim@elsewhere.com",
            recipient: "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example", domain: "corp.example"
        ),
        .init(
            name: "lowercase prefix and hex", raw: "imceasmtp-victim+40elsewhere+2ecom@Corp.Example", form: .imcea,
            imceaType: "SMTP", inner: "victim@elsewhere.com", domain: "corp.example"
        ),
        .init(
            name: "mixed case prefix", raw: "ImCeAsMtP-victim+40elsewhere+2Ecom@corp.example", form: .imcea,
            imceaType: "SMTP", inner: "victim@elsewhere.com"
        ),
        .init(
            name: "escaped letter in the type", raw: "IMCEAS+4DTP-victim+40elsewhere+2Ecom@corp.example",
            form: .imcea, imceaType: "SMTP", inner: "victim@elsewhere.com"
        ),
        .init(
            name: "EX", raw: "IMCEAEX-_O=CONTOSO_OU=FIRST+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=user@corp.example",
            form: .imcea, imceaType: "EX",
            inner: "/O=CONTOSO/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=user",
            layers: [.init(type: "EX", body: "/O=CONTOSO/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=user")]
        ),
        .init(
            name: "EX as seen in Exchange Online NDRs",
            raw: "IMCEAEX-_o=ExchangeLabs_ou=Exchange+20Administrative+20Group+20+28FYDIBOHF23SPDLT+29_cn=Recipients_cn=abc-Joe+20Smith@namprd13.prod.outlook.com",
            form: .imcea, imceaType: "EX",
            inner: "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=abc-Joe Smith",
            domain: "namprd13.prod.outlook.com"
        ),
        .init(
            name: "lowercase type", raw: "imceaex-_o=contoso_cn=user@corp.example", form: .imcea,
            imceaType: "EX", inner: "/o=contoso/cn=user"
        ),
        .init(
            name: "FAX", raw: "IMCEAFAX-+2B1+20555+201234@corp.example", form: .imcea, imceaType: "FAX",
            inner: "+1 555 1234", layers: [.init(type: "FAX", body: "+1 555 1234")]
        ),
        .init(
            name: "X400 with dda:SMTP",
            raw: "IMCEAX400-c=US;a=+20;p=Contoso;o=Exchange;dda+3ASMTP=victim+40elsewhere+2Ecom;@corp.example",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com",
            layers: [
                .init(
                    type: "X400", body: "c=US;a= ;p=Contoso;o=Exchange;dda:SMTP=victim@elsewhere.com;",
                    smtpAddress: "victim@elsewhere.com"
                )
            ]
        ),
        .init(
            name: "X400 slash notation",
            raw: "IMCEAX400-_c=US_a=+20_p=Contoso_o=Exchange_dda+3ASMTP=victim+40elsewhere+2Ecom_@corp.example",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com",
            layers: [
                .init(
                    type: "X400", body: "/c=US/a= /p=Contoso/o=Exchange/dda:SMTP=victim@elsewhere.com/",
                    smtpAddress: "victim@elsewhere.com"
                )
            ]
        ),
        .init(
            name: "X400 dda:RFC-822, any case, last field",
            raw: "IMCEAX400-c=US;DDA+3ARFC-822=victim+40elsewhere+2Ecom@corp.example",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com"
        ),
        .init(
            name: "X400 slash inside a ;-separated value",
            raw: "IMCEAX400-c=US;dda+3ASMTP=a_b+40elsewhere+2Ecom;@corp.example",
            form: .imcea, imceaType: "X400", inner: "a/b@elsewhere.com"
        ),
        .init(
            name: "X400 without dda", raw: "IMCEAX400-c=US;a=+20;p=Contoso;o=Exchange;s=Smith@corp.example",
            form: .imcea, imceaType: "X400", inner: "c=US;a= ;p=Contoso;o=Exchange;s=Smith",
            layers: [.init(type: "X400", body: "c=US;a= ;p=Contoso;o=Exchange;s=Smith")]
        ),
        .init(
            name: "X400 empty dda value", raw: "IMCEAX400-c=US;dda+3ASMTP=;@corp.example",
            form: .imcea, imceaType: "X400", inner: "c=US;dda:SMTP=;",
            layers: [.init(type: "X400", body: "c=US;dda:SMTP=;")]
        ),
        .init(
            name: "X400 empty decoy dda before the real one",
            raw: "IMCEAX400-dda+3ASMTP=;dda+3ASMTP=victim+40elsewhere+2Ecom@corp.example",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com"
        ),
        .init(
            name: "X400 TAB before the dda key (issue 10)",
            raw: "IMCEAX400-c=US+3Ba=+20+3Bp=Org+3Bo=Site+3Bs=victim+3B+09dda+3ASMTP=victim+40elsewhere+2Ecom@corp.test",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com",
            layers: [
                .init(
                    type: "X400", body: "c=US;a= ;p=Org;o=Site;s=victim;\tdda:SMTP=victim@elsewhere.com",
                    smtpAddress: "victim@elsewhere.com", payloadRoutes: true
                )
            ]
        ),
        .init(
            name: "X400 RFC 2156 (a) in a dda value",
            raw: "IMCEAX400-c=US;dda+3ARFC822=victim+28a+29elsewhere+2Ecom@corp.example",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com",
            layers: [
                .init(
                    type: "X400", body: "c=US;dda:RFC822=victim(a)elsewhere.com",
                    smtpAddress: "victim@elsewhere.com", payloadRoutes: true
                )
            ]
        ),
        .init(
            name: "X400 backslash escape in the key",
            raw: "IMCEAX400-c=US;d+5Cda+3AS+5CMTP=victim+28a+29elsewhere+2Ecom@corp.example",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com"
        ),
        .init(
            name: "X400 with a routing character outside any dda",
            raw: "IMCEAX400-c=US;s=victim+40elsewhere+2Ecom@corp.example",
            form: .imcea, imceaType: "X400", inner: "c=US;s=victim@elsewhere.com",
            layers: [.init(type: "X400", body: "c=US;s=victim@elsewhere.com", payloadRoutes: true)]
        ),
        .init(
            name: "X500", raw: "IMCEAX500-_O=CONTOSO_OU=EXCHANGE_CN=user@corp.example", form: .imcea,
            imceaType: "X500", inner: "/O=CONTOSO/OU=EXCHANGE/CN=user"
        ),
        .init(
            name: "INVALID carries no SMTP address", raw: "IMCEAINVALID-victim+40elsewhere+2Ecom@corp.example",
            form: .imcea, imceaType: "INVALID", inner: "victim@elsewhere.com",
            layers: [.init(type: "INVALID", body: "victim@elsewhere.com")]
        ),
        .init(
            name: "MS", raw: "IMCEAMS-CONTOSO_POSTOFFICE_user@corp.example", form: .imcea, imceaType: "MS",
            inner: "CONTOSO/POSTOFFICE/user"
        ),
        .init(
            name: "NOTES", raw: "IMCEANOTES-John+20Doe+2FContoso+40contoso@corp.example", form: .imcea,
            imceaType: "NOTES", inner: "John Doe/Contoso@contoso"
        ),
        .init(
            name: "escaped dash in an unknown type", raw: "IMCEAFOO+2DBAR-x@corp", form: .imcea,
            imceaType: "FOO-BAR", inner: "x", domain: "corp"
        ),
        .init(name: "underscore in the type", raw: "IMCEAa_b-x@corp", form: .imcea, imceaType: "A/B", inner: "x"),
        .init(name: "empty type", raw: "IMCEA-x+40y@corp", form: .imcea, imceaType: "", inner: "x@y"),
        .init(
            name: "only the first dash ends the type", raw: "IMCEASMTP-first-last+40elsewhere+2Ecom@corp",
            form: .imcea, imceaType: "SMTP", inner: "first-last@elsewhere.com"
        ),
        .init(
            name: "quoted IMCEA local part", raw: "\"IMCEASMTP-a+40b\"@local", form: .imcea, imceaType: "SMTP",
            inner: "a@b", localPart: "IMCEASMTP-a+40b", domain: "local"
        ),
        .init(
            name: "IMCEA behind a source route", raw: "<@hop.example:IMCEASMTP-a+40b+2Ecom@corp.example>",
            form: .imcea, imceaType: "SMTP", inner: "a@b.com",
            recipient: "@hop.example:IMCEASMTP-a+40b+2Ecom@corp.example",
            localPart: "IMCEASMTP-a+40b+2Ecom", domain: "corp.example"
        ),
        .init(
            name: "unescaped @ in the body runs to the last @",
            raw: "IMCEASMTP-victim@elsewhere.com@corp.example", form: .imcea, imceaType: "SMTP",
            inner: "victim@elsewhere.com", localPart: "IMCEASMTP-victim@elsewhere.com", domain: "corp.example"
        ),
        .init(
            name: "no domain", raw: "IMCEASMTP-a+40b", form: .imcea, imceaType: "SMTP", inner: "a@b", domain: ""
        ),
        .init(
            name: "SMTP body that is routed is reported as decoded", raw: "IMCEASMTP-a+25b+40c@corp",
            form: .imcea, imceaType: "SMTP", inner: "a%b@c"
        ),
        .init(
            name: "empty SMTP body", raw: "IMCEASMTP-@corp", form: .imcea, imceaType: "SMTP", inner: "",
            layers: [.init(type: "SMTP", body: "")]
        ),
    ]

    @Test("IMCEA types and spellings", arguments: imceaCases)
    func imcea(_ testCase: Case) { Self.check(testCase) }

    // MARK: - IMCEA body escapes

    static let escapeCases: [Case] = [
        .init(
            name: "+HH lowercase hex", raw: "IMCEASMTP-a+2eb+40c+2ed@corp", form: .imcea, imceaType: "SMTP",
            inner: "a.b@c.d"
        ),
        .init(name: "+ truncated to one digit", raw: "IMCEASMTP-a+4@corp", form: .imcea, imceaType: "SMTP", inner: "a+4"),
        .init(name: "+ with non-hex digits", raw: "IMCEASMTP-a+ZZb@corp", form: .imcea, imceaType: "SMTP", inner: "a+ZZb"),
        .init(name: "+ with one hex digit", raw: "IMCEASMTP-a+4Gb@corp", form: .imcea, imceaType: "SMTP", inner: "a+4Gb"),
        .init(name: "trailing +", raw: "IMCEASMTP-ab+@corp", form: .imcea, imceaType: "SMTP", inner: "ab+"),
        .init(name: "literal + then escape", raw: "IMCEASMTP-a++40b@corp", form: .imcea, imceaType: "SMTP", inner: "a+@b"),
        .init(name: "escaped +", raw: "IMCEASMTP-a+2Btag+40b@corp", form: .imcea, imceaType: "SMTP", inner: "a+tag@b"),
        .init(
            name: "+00 is kept, not a terminator", raw: "IMCEASMTP-victim+00+40elsewhere+2Ecom@corp",
            form: .imcea, imceaType: "SMTP", inner: "victim\u{0}@elsewhere.com"
        ),
        .init(
            name: "invalid UTF-8 byte is replaced", raw: "IMCEASMTP-a+FFb+40c@corp", form: .imcea,
            imceaType: "SMTP", inner: "a\u{FFFD}b@c"
        ),
        .init(name: "underscore is a slash", raw: "IMCEASMTP-a_b+40c@corp", form: .imcea, imceaType: "SMTP", inner: "a/b@c"),
        .init(name: "escaped underscore", raw: "IMCEASMTP-a+5Fb+40c@corp", form: .imcea, imceaType: "SMTP", inner: "a_b@c"),
        .init(
            name: "UTF8- body", raw: "IMCEASMTP-UTF8-j+C3+BCrgen+40elsewhere+2Ecom@corp.example", form: .imcea,
            imceaType: "SMTP", inner: "jürgen@elsewhere.com",
            layers: [.init(type: "SMTP", body: "jürgen@elsewhere.com", smtpAddress: "jürgen@elsewhere.com")]
        ),
        .init(
            name: "utf8- marker in lowercase", raw: "imceasmtp-utf8-j+c3+bcrgen+40elsewhere+2ecom@corp.example",
            form: .imcea, imceaType: "SMTP", inner: "jürgen@elsewhere.com"
        ),
        .init(
            name: "UTF8- EX body", raw: "IMCEAEX-UTF8-_O=M+C3+9CLLER_CN=user@corp", form: .imcea, imceaType: "EX",
            inner: "/O=MÜLLER/CN=user"
        ),
        .init(
            name: "UTF8- marker and nothing else", raw: "IMCEASMTP-UTF8-@corp", form: .imcea, imceaType: "SMTP",
            inner: "", layers: [.init(type: "SMTP", body: "")]
        ),
        .init(
            name: "UTF8 without its dash is body text", raw: "IMCEASMTP-UTF8user+40x@corp", form: .imcea,
            imceaType: "SMTP", inner: "UTF8user@x"
        ),
    ]

    @Test("IMCEA body escapes", arguments: escapeCases)
    func escapes(_ testCase: Case) { Self.check(testCase) }

    // MARK: - Nested IMCEA

    static let nestedCases: [Case] = [
        .init(
            name: "SMTP in SMTP",
            raw: "IMCEASMTP-IMCEASMTP+2Dvictim+2B40elsewhere+2B2Ecom+40corp+2Eexample@corp.example",
            form: .imcea, imceaType: "SMTP", inner: "victim@elsewhere.com",
            layers: [
                .init(
                    type: "SMTP", body: "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example",
                    smtpAddress: "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"
                ),
                .init(type: "SMTP", body: "victim@elsewhere.com", smtpAddress: "victim@elsewhere.com"),
            ]
        ),
        .init(
            name: "SMTP in an X400 dda",
            raw: "IMCEAX400-c=US;dda+3ASMTP=IMCEASMTP+2Dvictim+2B40elsewhere+2B2Ecom+40corp+2Eexample@corp.example",
            form: .imcea, imceaType: "X400", inner: "victim@elsewhere.com",
            layers: [
                .init(
                    type: "X400", body: "c=US;dda:SMTP=IMCEASMTP-victim+40elsewhere+2Ecom@corp.example",
                    smtpAddress: "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"
                ),
                .init(type: "SMTP", body: "victim@elsewhere.com", smtpAddress: "victim@elsewhere.com"),
            ]
        ),
        .init(
            name: "nested address in angle brackets", raw: "IMCEASMTP-+3CIMCEASMTP+2Da+2B40b+40c+3E@corp",
            form: .imcea, imceaType: "SMTP", inner: "a@b",
            layers: [
                .init(type: "SMTP", body: "<IMCEASMTP-a+40b@c>", smtpAddress: "<IMCEASMTP-a+40b@c>"),
                .init(type: "SMTP", body: "a@b", smtpAddress: "a@b"),
            ]
        ),
        .init(
            name: "EX body that looks like IMCEA does not nest", raw: "IMCEAEX-IMCEASMTP+2Da+2B40b+40c@corp",
            form: .imcea, imceaType: "EX", inner: "IMCEASMTP-a+40b@c",
            layers: [.init(type: "EX", body: "IMCEASMTP-a+40b@c")]
        ),
        .init(
            name: "inner type differs from outer", raw: "IMCEASMTP-IMCEAFAX+2D+2B2B1+2B20555+40corp@corp",
            form: .imcea, imceaType: "SMTP", inner: "+1 555",
            layers: [
                .init(type: "SMTP", body: "IMCEAFAX-+2B1+20555@corp", smtpAddress: "IMCEAFAX-+2B1+20555@corp"),
                .init(type: "FAX", body: "+1 555"),
            ]
        ),
    ]

    @Test("nested IMCEA", arguments: nestedCases)
    func nested(_ testCase: Case) { Self.check(testCase) }

    /// Encapsulates `address` as Exchange would: everything but letters, digits, `-` and `=` as `+HH`.
    static func encapsulate(_ address: String) -> String {
        var encoded = "IMCEASMTP-"
        for byte in address.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "="):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "+" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return encoded + "@corp.example"
    }

    static func wrapped(_ depth: Int) -> String {
        var address = "victim@elsewhere.com"
        for _ in 0..<depth { address = encapsulate(address) }
        return address
    }

    @Test("nesting up to the limit decodes every layer", arguments: 1...AddressDecoder.maximumDepth)
    func nestingWithinLimit(depth: Int) {
        let decoded = AddressDecoder.decode(Self.wrapped(depth))
        #expect(decoded.form == .imcea)
        #expect(decoded.imceaType == "SMTP")
        #expect(decoded.layers.count == depth)
        #expect(decoded.depthExceeded == false)
        #expect(decoded.inner == "victim@elsewhere.com")
        for (index, layer) in decoded.layers.enumerated() {
            #expect(layer.body == Self.wrapped(depth - 1 - index))
        }
    }

    @Test("nesting past the limit stops and says so", arguments: [9, 10, 12])
    func nestingPastLimit(depth: Int) {
        let maximum = AddressDecoder.maximumDepth
        let decoded = AddressDecoder.decode(Self.wrapped(depth))
        #expect(decoded.form == .imcea)
        #expect(decoded.imceaType == "SMTP")
        #expect(decoded.layers.count == maximum)
        #expect(decoded.depthExceeded)
        #expect(decoded.inner == Self.wrapped(depth - maximum))
        #expect(decoded.layers.last?.body.hasPrefix("IMCEA") == true)
    }

    // MARK: - Routed forms

    static let routedCases: [Case] = [
        // Percent hack
        .init(
            name: "percent hack", raw: "a%b@local", form: .percentHack, inner: "a@b",
            localPart: "a%b", domain: "local"
        ),
        .init(name: "percent hack, two hops", raw: "a%b%c@local", form: .percentHack, inner: "a@b"),
        .init(name: "percent hack, no domain", raw: "a%b", form: .percentHack, inner: "a@b", domain: ""),
        .init(name: "percent hack in brackets", raw: "<to%dom@corp.example>", form: .percentHack, inner: "to@dom"),
        .init(name: "scanner: to%dom@[ip]", raw: "<to%dom@[192.0.2.1]>", form: .percentHack, inner: "to@dom"),
        .init(name: "scanner: to%dom@local", raw: "to%dom@corp.example", form: .percentHack, inner: "to@dom"),
        // Bang paths
        .init(
            name: "bang path with domain", raw: "b!a@local", form: .bangPath, inner: "a@b",
            localPart: "b!a", domain: "local"
        ),
        .init(name: "bang path without domain", raw: "b!a", form: .bangPath, inner: "a@b"),
        .init(name: "bang path, two hops", raw: "c!b!a", form: .bangPath, inner: "a@b"),
        .init(name: "scanner: dom!to@[ip]", raw: "<dom!to@[192.0.2.1]>", form: .bangPath, inner: "to@dom"),
        .init(name: "bang then percent (swap_bangpath first)", raw: "b!a%c@local", form: .bangPath, inner: "a@c"),
        .init(name: "percent then bang", raw: "a%b!c@local", form: .bangPath, inner: "c@a%b"),
        // Source routes
        .init(
            name: "source route", raw: "@hop1,@hop2:a@b", form: .sourceRoute, inner: "a@b",
            recipient: "@hop1,@hop2:a@b", localPart: "a", domain: "b"
        ),
        .init(
            name: "source route in brackets", raw: "<@hop1,@hop2:a@b>", form: .sourceRoute, inner: "a@b",
            recipient: "@hop1,@hop2:a@b", localPart: "a", domain: "b"
        ),
        .init(name: "scanner: @[ip]:to@dom", raw: "<@[192.0.2.1]:to@dom>", form: .sourceRoute, inner: "to@dom"),
        .init(
            name: "IPv6 literal hop", raw: "<@[IPv6:2001:db8::1]:to@dom>", form: .sourceRoute, inner: "to@dom",
            localPart: "to", domain: "dom"
        ),
        .init(name: "source route to a percent hack", raw: "@hop:a%b@c", form: .sourceRoute, inner: "a@b"),
        .init(name: "route nested in a route", raw: "@a:@b:c@d", form: .sourceRoute, inner: "c@d", domain: "d"),
        .init(name: "source route to a bare user", raw: "@hop:postmaster", form: .sourceRoute, inner: "postmaster"),
        // Quoted local parts
        .init(
            name: "quoted @", raw: "\"a@b\"@local", form: .quotedRouting, inner: "a@b",
            localPart: "a@b", domain: "local"
        ),
        .init(name: "quoted %", raw: "\"a%b\"@local", form: .quotedRouting, inner: "a@b"),
        .init(name: "quoted !", raw: "\"b!a\"@local", form: .quotedRouting, inner: "a@b"),
        .init(name: "scanner: \"to@dom\"@[ip]", raw: "<\"to@dom\"@[192.0.2.1]>", form: .quotedRouting, inner: "to@dom"),
        .init(name: "scanner: \"to%dom\"@local", raw: "\"to%dom\"@corp.example", form: .quotedRouting, inner: "to@dom"),
        .init(name: "escaped @ in quotes", raw: "\"a\\@b\"@local", form: .quotedRouting, inner: "a@b", localPart: "a@b"),
        .init(
            name: "quoted address inside quotes", raw: "\"\\\"a@b\\\"@c\"@local", form: .quotedRouting, inner: "a@b",
            localPart: "\"a@b\"@c"
        ),
        .init(name: "quoted part then unquoted @", raw: "\"a\"@b@local", form: .quotedRouting, inner: "a@b"),
        .init(
            name: "unterminated quote still routes", raw: "\"victim@elsewhere.com", form: .quotedRouting,
            inner: "victim@elsewhere.com", domain: ""
        ),
        .init(name: "quoted @ without outer domain", raw: "\"a@b\"", form: .quotedRouting, inner: "a@b", domain: ""),
        .init(
            name: "routed to a quoted plain address", raw: "\"\\\"john doe\\\"@b\"@local", form: .quotedRouting,
            inner: "\"john doe\"@b"
        ),
        // Several @
        .init(
            name: "two @", raw: "a@b@local", form: .multipleAt, inner: "a@b", localPart: "a@b", domain: "local"
        ),
        .init(name: "scanner: to@dom@local", raw: "<to@dom@corp.example>", form: .multipleAt, inner: "to@dom"),
        .init(name: "three @", raw: "a@b@c@local", form: .multipleAt, inner: "a@b"),
        .init(name: "several @ then percent", raw: "a%b@c@local", form: .multipleAt, inner: "a@b"),
    ]

    @Test("routed forms", arguments: routedCases)
    func routed(_ testCase: Case) { Self.check(testCase) }

    // MARK: - Garbage

    static let garbageCases: [Case] = [
        .init(name: "lone <", raw: "<", form: .null, recipient: ""),
        .init(name: "lone >", raw: ">", form: .null, recipient: ""),
        .init(name: "unbalanced < still decodes", raw: "<IMCEASMTP-a+40b@corp", form: .imcea, imceaType: "SMTP", inner: "a@b"),
        .init(name: "double brackets strip once", raw: "<<a@b>>", form: .plain, localPart: "<a", domain: "b>"),
        .init(name: "@@", raw: "@@", form: .multipleAt, inner: "@", localPart: "@", domain: ""),
        .init(name: "lone quote", raw: "\"", form: .plain, localPart: "", domain: ""),
        .init(name: "empty quotes", raw: "\"\"", form: .plain, localPart: "", domain: ""),
        .init(name: "empty quotes with domain", raw: "\"\"@x", form: .plain, localPart: "", domain: "x"),
        .init(name: "lone %", raw: "%", form: .percentHack, inner: "@"),
        .init(name: "lone !", raw: "!", form: .bangPath, inner: "@"),
        .init(
            name: "unterminated domain literal is not a route", raw: "@[1:a@b", form: .multipleAt, inner: "@[1:a",
            localPart: "@[1:a", domain: "b"
        ),
        .init(name: "NUL byte in the local part", raw: "us\u{0}er@corp", form: .plain, localPart: "us\u{0}er"),
        .init(name: "trailing backslash in quotes", raw: "\"a\\", form: .plain, localPart: "a\\", domain: ""),
        .init(name: "IMCEA prefix only", raw: "IMCEA-", form: .imcea, imceaType: "", inner: "", domain: ""),
    ]

    @Test("garbage", arguments: garbageCases)
    func garbage(_ testCase: Case) { Self.check(testCase) }

    // MARK: - Size and hostile input

    @Test("very long plain address")
    func longPlain() {
        let local = String(repeating: "a", count: 100_000)
        let decoded = AddressDecoder.decode("<\(local)@Corp.Example>")
        #expect(decoded.form == .plain)
        #expect(decoded.imceaType == nil)
        #expect(decoded.inner == nil)
        #expect(decoded.localPart == local)
        #expect(decoded.domain == "corp.example")
    }

    @Test("very long percent hack")
    func longPercentHack() {
        let local = String(repeating: "x", count: 100_000)
        let decoded = AddressDecoder.decode("\(local)%evil.example@corp.example")
        #expect(decoded.form == .percentHack)
        #expect(decoded.imceaType == nil)
        #expect(decoded.inner == "\(local)@evil.example")
    }

    @Test("very long IMCEA body")
    func longIMCEA() {
        let decoded = AddressDecoder.decode("IMCEASMTP-" + String(repeating: "+41", count: 50_000) + "@corp")
        #expect(decoded.form == .imcea)
        #expect(decoded.imceaType == "SMTP")
        #expect(decoded.inner == String(repeating: "A", count: 50_000))
    }

    @Test("a long @ chain stops after the hop limit")
    func longAtChain() {
        let count = 10_000
        let decoded = AddressDecoder.decode(String(repeating: "a@", count: count) + "x")
        #expect(decoded.form == .multipleAt)
        #expect(decoded.imceaType == nil)
        // Each hop drops one domain; after the limit the address reached so far is reported.
        #expect(decoded.inner == String(repeating: "a@", count: count - RoutedAddress.maximumHops) + "a")
    }

    @Test("a long percent chain stops after the hop limit")
    func longPercentChain() {
        let decoded = AddressDecoder.decode(String(repeating: "a%", count: 10_000) + "@x")
        #expect(decoded.form == .percentHack)
        #expect(decoded.imceaType == nil)
        #expect(decoded.inner?.hasPrefix("a%a%") == true)
    }

    @Test("long runs of quotes, brackets and at signs")
    func longPunctuation() {
        for unit in ["\"", "<", ">", "@", "\\", "[", ":", "+", "_"] {
            let decoded = AddressDecoder.decode(String(repeating: unit, count: 50_001))
            #expect(decoded.layers.isEmpty)
            #expect(decoded.depthExceeded == false)
        }
    }

    /// Random strings over the characters the scanners care about: nothing may trap, and the result must hang together.
    @Test("random punctuation never traps and stays consistent")
    func randomInput() {
        let alphabet = Array("<>@%!\"\\:,[]+_-;/= aZ0IMCEASMTPimceasmtpX4UTF8-ü\u{0}".unicodeScalars)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            var text = String.UnicodeScalarView()
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 58)
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            let decoded = AddressDecoder.decode(String(text))
            #expect((decoded.form == .imcea) == !decoded.layers.isEmpty)
            #expect(decoded.layers.count <= AddressDecoder.maximumDepth)
            #expect(!decoded.depthExceeded || decoded.layers.count == AddressDecoder.maximumDepth)
            #expect((decoded.inner == nil) == (decoded.form == .plain || decoded.form == .null))
        }
    }

    // MARK: - AddressForm

    @Test("isRouted", arguments: AddressForm.allCases)
    func isRouted(_ form: AddressForm) {
        let routed: Set<AddressForm> = [.percentHack, .bangPath, .sourceRoute, .quotedRouting, .multipleAt]
        #expect(form.isRouted == routed.contains(form))
    }

    @Test("raw values are the stable log names")
    func rawValues() {
        #expect(AddressForm.allCases.map(\.rawValue) == [
            "plain", "null", "imcea", "percent-hack", "bang-path", "source-route", "quoted-local-part", "multiple-at",
        ])
    }
}
