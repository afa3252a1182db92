import Milter
import Testing

struct MilterMacrosTests {
    @Test(arguments: [("i", "QID1"), ("{i}", "QID1"), ("{client_addr}", "203.0.113.9"), ("client_addr", nil)])
    func findsBothSpellings(name: String, expected: String?) {
        let macros = MilterMacros(["i": "QID1", "{client_addr}": "203.0.113.9"])
        #expect(macros[name] == expected)
    }
}
