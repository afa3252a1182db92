import Testing

@testable import Milter

/// `MilterMacros`: single-letter macros answer to `i` and `{i}`, as in libmilter; other names have one spelling.
struct MilterMacrosTests {
    static let macros = MilterMacros(["i": "QID1", "{client_addr}": "203.0.113.9", "{j}": "mx.test"])

    @Test(arguments: [
        ("i", "QID1"), ("{i}", "QID1"), ("j", "mx.test"), ("{j}", "mx.test"),
        ("{client_addr}", "203.0.113.9"), ("client_addr", nil), ("k", nil), ("{k}", nil),
    ] as [(String, String?)])
    func findsBothSpellings(name: String, expected: String?) {
        #expect(Self.macros[name] == expected)
    }

    @Test(arguments: [("i", "{i}"), ("{i}", "i"), ("{ab}", nil), ("ab", nil), ("", nil)] as [(String, String?)])
    func alternateSpelling(name: String, expected: String?) {
        #expect(MilterMacros.alternateSpelling(of: name) == expected)
    }
}
