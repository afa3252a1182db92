@testable import RelayPolicy
import Testing

/// The X.400 text-form reading of an IMCEAX400 body, after the IMCEA `+HH` / `_` encoding is undone.
@Suite("X400Address")
struct X400AddressTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        /// The DDA address found; nil for none.
        let address: String?
        let routes: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // The issue's example: a TAB before the key is skipped, as Exchange skips it.
        .init(name: "TAB before the key", body: "c=US;a= ;p=Org;o=Site;s=victim;\tdda:SMTP=victim@elsewhere.com",
              address: "victim@elsewhere.com", routes: true),
        .init(name: "spaces and TABs around key and value", body: "c=US; \t dda:SMTP \t= \t victim@elsewhere.com \t;",
              address: "victim@elsewhere.com", routes: true),
        .init(name: "blanks inside the key", body: "c=US;dda : smtp=victim@elsewhere.com",
              address: "victim@elsewhere.com", routes: true),
        .init(name: "keys without case", body: "C=US;DdA:sMtP=victim@elsewhere.com;", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "escape in the key", body: "c=US;d\\da:SM\\TP=victim@elsewhere.com;",
              address: "victim@elsewhere.com", routes: true),
        .init(name: "escape in the value", body: "c=US;dda:SMTP=vic\\tim\\@elsewhere.com;",
              address: "victim@elsewhere.com", routes: true),
        .init(name: "escaped separator inside the value", body: "c=US;dda:SMTP=a\\;b@elsewhere.com;",
              address: "a;b@elsewhere.com", routes: true),
        .init(name: "escaped = in the key is part of it", body: "c=US;dda\\=x:SMTP=victim(a)elsewhere.com",
              address: nil, routes: false),
        .init(name: "trailing backslash is literal", body: "c=US;dda:SMTP=victim(a)elsewhere.com\\",
              address: "victim@elsewhere.com\\", routes: true),
        // RFC 2156 section 4.2.1 mappings.
        .init(name: "(a) is @", body: "c=US;dda:SMTP=victim(a)elsewhere.com;", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "(p) is %", body: "c=US;dda:SMTP=victim(p)elsewhere.com;", address: "victim%elsewhere.com",
              routes: true),
        .init(name: "(b) is !", body: "c=US;dda:SMTP=elsewhere.com(b)victim;", address: "elsewhere.com!victim",
              routes: true),
        .init(name: "(A) upper case", body: "c=US;dda:SMTP=victim(A)elsewhere.com;", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "(064) decimal", body: "c=US;dda:SMTP=victim(064)elsewhere.com;", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "(64) two digits", body: "c=US;dda:SMTP=victim(64)elsewhere.com;", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "(037) decimal %", body: "c=US;dda:SMTP=victim(037)elsewhere.com;",
              address: "victim%elsewhere.com", routes: true),
        .init(name: "(q) (l) (r) map without routing", body: "c=US;dda:SMTP=(q)a(l)b(r)(q);", address: "\"a(b)\"",
              routes: false),
        .init(name: "(0064) is not a mapping", body: "c=US;dda:SMTP=victim(0064)elsewhere.com;",
              address: "victim(0064)elsewhere.com", routes: false),
        .init(name: "(256) is not a mapping", body: "c=US;dda:SMTP=v(256)x;", address: "v(256)x", routes: false),
        .init(name: "(x) and unclosed ( are literal", body: "c=US;dda:SMTP=a(x)b(a;", address: "a(x)b(a",
              routes: false),
        .init(name: "mapping once, left to right", body: "c=US;dda:SMTP=a((a)b;", address: "a(@b", routes: true),
        .init(name: "escaped paren still maps", body: "c=US;dda:SMTP=victim\\(a)elsewhere.com;",
              address: "victim@elsewhere.com", routes: true),
        // Every DDA type counts when its value routes; only internet types name an address that does not.
        .init(name: "RFC-822", body: "c=US;dda:RFC-822=victim@elsewhere.com", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "RFC822", body: "c=US;dda:RFC822=victim(a)elsewhere.com", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "INTERNET", body: "c=US;dda:INTERNET=victim(a)elsewhere.com", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "NOTES", body: "c=US;dda:NOTES=victim(a)elsewhere.com", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "FAX", body: "c=US;dda:FAX=victim(p)elsewhere.com", address: "victim%elsewhere.com", routes: true),
        .init(name: "a DDA without a type", body: "c=US;dda=victim(a)elsewhere.com", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "a non-internet DDA without routing names nothing", body: "c=US;dda:FAX=5551234", address: nil,
              routes: false),
        .init(name: "an internet DDA without routing is still its address", body: "c=US;dda:SMTP=victim",
              address: "victim", routes: false),
        .init(name: "a routing DDA wins over an earlier plain one", body: "dda:SMTP=victim;dda:NOTES=a(a)b",
              address: "a@b", routes: true),
        .init(name: "empty decoy first", body: "dda:SMTP=;dda:SMTP=victim(a)elsewhere.com", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "blank value is empty", body: "c=US;dda:SMTP= \t;", address: nil, routes: false),
        .init(name: "not a DDA key", body: "c=US;ddax:SMTP=victim(a)elsewhere.com;s=a(a)b", address: nil, routes: false),
        .init(name: "mapped forms outside a DDA do not route", body: "c=US;s=victim(a)elsewhere.com", address: nil,
              routes: false),
        .init(name: "a field without = is skipped", body: "c=US;garbage;dda:SMTP=victim(a)elsewhere.com",
              address: "victim@elsewhere.com", routes: true),
        // The separator: `/` when the text starts with `/`, else `;`.
        .init(name: "slash form", body: "/c=US/a= /dda:SMTP=victim(a)elsewhere.com/", address: "victim@elsewhere.com",
              routes: true),
        .init(name: "a slash inside a ;-separated value", body: "c=US;dda:SMTP=a/b(a)elsewhere.com;",
              address: "a/b@elsewhere.com", routes: true),
        .init(name: "a ; inside a /-separated value", body: "/c=US/dda:SMTP=a;b(a)elsewhere.com/",
              address: "a;b@elsewhere.com", routes: true),
        .init(name: "a blank before / keeps the ; reading", body: " /c=US;dda:SMTP=victim(a)elsewhere.com;",
              address: "victim@elsewhere.com", routes: true),
        .init(name: "the / reading is tried when the ; reading finds nothing",
              body: " /c=US/dda:SMTP=victim(a)elsewhere.com/", address: "victim@elsewhere.com", routes: true),
        .init(name: "the ; reading is tried when the / reading finds nothing",
              body: "/c=US;dda:SMTP=victim(a)elsewhere.com", address: "victim@elsewhere.com", routes: true),
        .init(name: "the other reading names no plain address", body: "/c=US;dda:SMTP=victim", address: nil,
              routes: false),
        .init(name: "an ordinary O/R address", body: "c=US;a= ;p=Contoso;o=Exchange;s=Smith;g=John;", address: nil,
              routes: false),
        .init(name: "empty", body: "", address: nil, routes: false),
    ]

    @Test("reads the DDA the way Exchange does", arguments: cases)
    func read(_ testCase: Case) {
        var body = testCase.body
        let reading = body.withUTF8 { X400Address.read($0) }
        #expect(reading.address.map { String(decoding: $0, as: UTF8.self) } == testCase.address)
        #expect(reading.routes == testCase.routes)
    }

    @Test("a value is escaped, trimmed and mapped", arguments: [
        (" \t a b \t", "a b"), ("\\ a\\ ", " a "), ("a\\\tb", "a\tb"), ("(a)(p)(b)", "@%!"), ("(", "("), ("(a", "(a"),
        ("(1)(12)(123)", "\u{01}\u{0C}{"), ("", ""),
    ])
    func mappedValue(_ input: String, _ expected: String) {
        var text = input
        let value = text.withUTF8 { X400Address.mappedValue($0, 0..<$0.count) }
        #expect(String(decoding: value, as: UTF8.self) == expected)
    }
}
