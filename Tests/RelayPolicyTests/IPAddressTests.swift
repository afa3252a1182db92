import RelayPolicy
import Testing

@Suite("IPAddress")
struct IPAddressTests {
    /// Text that parses, the address it must become, and its canonical spelling.
    struct ValidCase: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let expected: IPAddress
        let canonical: String
        var testDescription: String { name }
    }

    /// Text that must not parse.
    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        var testDescription: String { name }
    }

    static let valid: [ValidCase] = [
        // IPv4
        .init(name: "v4 all zeros", text: "0.0.0.0", expected: .v4(0), canonical: "0.0.0.0"),
        .init(name: "v4 all ones", text: "255.255.255.255", expected: .v4(.max), canonical: "255.255.255.255"),
        .init(name: "v4 documentation", text: "192.0.2.1", expected: .v4(0xC000_0201), canonical: "192.0.2.1"),
        .init(name: "v4 zero octets", text: "10.0.0.1", expected: .v4(0x0A00_0001), canonical: "10.0.0.1"),
        .init(name: "v4 in brackets", text: "[192.0.2.1]", expected: .v4(0xC000_0201), canonical: "192.0.2.1"),
        // IPv6 basics
        .init(name: "v6 unspecified", text: "::", expected: .v6(0), canonical: "::"),
        .init(name: "v6 loopback", text: "::1", expected: .v6(1), canonical: "::1"),
        .init(
            name: "v6 full form", text: "2001:0db8:0000:0000:0000:ff00:0042:8329",
            expected: .v6(0x2001_0db8_0000_0000_0000_ff00_0042_8329), canonical: "2001:db8::ff00:42:8329"),
        .init(
            name: "v6 uppercase", text: "2001:DB8::ABCD", expected: .v6(0x2001_0db8_0000_0000_0000_0000_0000_abcd),
            canonical: "2001:db8::abcd"),
        // "::" in every position
        .init(
            name: "v6 compressed at start", text: "::2:3:4:5:6:7:8",
            expected: .v6(0x0000_0002_0003_0004_0005_0006_0007_0008), canonical: "0:2:3:4:5:6:7:8"),
        .init(
            name: "v6 compressed after 1", text: "1::3:4:5:6:7:8",
            expected: .v6(0x0001_0000_0003_0004_0005_0006_0007_0008), canonical: "1:0:3:4:5:6:7:8"),
        .init(
            name: "v6 compressed in middle", text: "1:2:3::6:7:8",
            expected: .v6(0x0001_0002_0003_0000_0000_0006_0007_0008), canonical: "1:2:3::6:7:8"),
        .init(
            name: "v6 compressed before last", text: "1:2:3:4:5:6::8",
            expected: .v6(0x0001_0002_0003_0004_0005_0006_0000_0008), canonical: "1:2:3:4:5:6:0:8"),
        .init(
            name: "v6 compressed at end", text: "1:2:3:4:5:6:7::",
            expected: .v6(0x0001_0002_0003_0004_0005_0006_0007_0000), canonical: "1:2:3:4:5:6:7:0"),
        .init(
            name: "v6 compressed long tail", text: "2001:db8::",
            expected: .v6(0x2001_0db8 << 96), canonical: "2001:db8::"),
        // RFC 5952 canonical form
        .init(
            name: "v6 longest run wins", text: "2001:0:0:1:0:0:0:1",
            expected: .v6(0x2001_0000_0000_0001_0000_0000_0000_0001), canonical: "2001:0:0:1::1"),
        .init(
            name: "v6 first run wins a tie", text: "2001:db8:0:0:1:0:0:1",
            expected: .v6(0x2001_0db8_0000_0000_0001_0000_0000_0001), canonical: "2001:db8::1:0:0:1"),
        .init(
            name: "v6 single zero group not compressed", text: "2001:db8:0:1:1:1:1:1",
            expected: .v6(0x2001_0db8_0000_0001_0001_0001_0001_0001), canonical: "2001:db8:0:1:1:1:1:1"),
        .init(
            name: "v6 leading zeros dropped", text: "2001:0db8::0001",
            expected: .v6(0x2001_0db8_0000_0000_0000_0000_0000_0001), canonical: "2001:db8::1"),
        // IPv4 tails and mapped addresses
        .init(
            name: "v6 NAT64 IPv4 tail", text: "64:ff9b::192.0.2.1",
            expected: .v6(0x0064_ff9b_0000_0000_0000_0000_c000_0201), canonical: "64:ff9b::c000:201"),
        .init(
            name: "v6 full form IPv4 tail", text: "1:2:3:4:5:6:192.0.2.1",
            expected: .v6(0x0001_0002_0003_0004_0005_0006_c000_0201), canonical: "1:2:3:4:5:6:c000:201"),
        .init(name: "mapped dotted becomes v4", text: "::ffff:192.0.2.1", expected: .v4(0xC000_0201), canonical: "192.0.2.1"),
        .init(name: "mapped hex becomes v4", text: "::ffff:c000:201", expected: .v4(0xC000_0201), canonical: "192.0.2.1"),
        .init(name: "mapped full form becomes v4", text: "0:0:0:0:0:FFFF:0:0", expected: .v4(0), canonical: "0.0.0.0"),
        .init(
            name: "IPv4-compatible stays v6", text: "::192.0.2.1", expected: .v6(0xc000_0201), canonical: "::c000:201"),
        // Postfix / XCLIENT spellings
        .init(name: "IPv6: prefix", text: "IPv6:2001:db8::1", expected: .v6(0x2001_0db8 << 96 | 1), canonical: "2001:db8::1"),
        .init(name: "IPV6: prefix uppercase", text: "IPV6:2001:db8::1", expected: .v6(0x2001_0db8 << 96 | 1), canonical: "2001:db8::1"),
        .init(name: "ipv6: prefix lowercase", text: "ipv6:::1", expected: .v6(1), canonical: "::1"),
        .init(name: "IPv6: prefix mapped", text: "IPv6:::ffff:192.0.2.1", expected: .v4(0xC000_0201), canonical: "192.0.2.1"),
        .init(name: "v6 in brackets", text: "[2001:db8::1]", expected: .v6(0x2001_0db8 << 96 | 1), canonical: "2001:db8::1"),
        .init(name: "address literal", text: "[IPv6:2001:db8::1]", expected: .v6(0x2001_0db8 << 96 | 1), canonical: "2001:db8::1"),
        // Zone ids are stripped (documented on init?(_:))
        .init(name: "zone id stripped", text: "fe80::1%eth0", expected: .v6(0xfe80 << 112 | 1), canonical: "fe80::1"),
        .init(name: "numeric zone id stripped", text: "[fe80::1%2]", expected: .v6(0xfe80 << 112 | 1), canonical: "fe80::1"),
    ]

    static let invalid: [InvalidCase] = [
        .init(name: "empty", text: ""),
        .init(name: "unknown", text: "unknown"),
        .init(name: "host name", text: "mail.example.com"),
        .init(name: "v4 three octets", text: "1.2.3"),
        .init(name: "v4 five octets", text: "1.2.3.4.5"),
        .init(name: "v4 octet over 255", text: "256.0.0.1"),
        .init(name: "v4 four-digit octet", text: "1.2.3.0004"),
        .init(name: "v4 leading zero (octal in inet_aton)", text: "010.0.0.1"),
        .init(name: "v4 double zero", text: "1.00.0.1"),
        .init(name: "v4 with slash", text: "1.2.3.4/"),
        .init(name: "v4 with prefix length", text: "1.2.3.4/32"),
        .init(name: "v4 empty octet", text: "1..3.4"),
        .init(name: "v4 trailing dot", text: "1.2.3.4."),
        .init(name: "v4 leading space", text: " 1.2.3.4"),
        .init(name: "v4 trailing newline", text: "1.2.3.4\n"),
        .init(name: "v4 inner space", text: "1.2. 3.4"),
        .init(name: "v4 sign", text: "+1.2.3.4"),
        .init(name: "v4 hex octet", text: "0x1.2.3.4"),
        .init(name: "v4 with zone", text: "1.2.3.4%eth0"),
        .init(name: "v4 after IPv6: prefix", text: "IPv6:192.0.2.1"),
        .init(name: "v6 single colon", text: ":"),
        .init(name: "v6 triple colon", text: ":::"),
        .init(name: "v6 leading single colon", text: ":1:2:3:4:5:6:7"),
        .init(name: "v6 trailing single colon", text: "1:2:3:4:5:6:7:"),
        .init(name: "v6 too few groups", text: "1:2:3:4:5:6:7"),
        .init(name: "v6 too many groups", text: "1:2:3:4:5:6:7:8:9"),
        .init(name: "v6 nine groups with ::", text: "1:2:3:4::5:6:7:8"),
        .init(name: "v6 eight groups plus ::", text: "::1:2:3:4:5:6:7:8"),
        .init(name: "v6 two ::", text: "1::2::3"),
        .init(name: "v6 five hex digits", text: "12345::1"),
        .init(name: "v6 non-hex digit", text: "2001:db8::g"),
        .init(name: "v6 IPv4 tail not last", text: "::192.0.2.1:1"),
        .init(name: "v6 IPv4 tail too many groups", text: "1:2:3:4:5:6:7:192.0.2.1"),
        .init(name: "v6 bad IPv4 tail", text: "::ffff:192.0.2"),
        .init(name: "v6 hex in IPv4 tail", text: "::ffff:1a.0.2.1"),
        .init(name: "v6 unclosed bracket", text: "[2001:db8::1"),
        .init(name: "v6 unopened bracket", text: "2001:db8::1]"),
        .init(name: "empty brackets", text: "[]"),
        .init(name: "IPv6: prefix alone", text: "IPv6:"),
        .init(name: "IPv6 without colon", text: "IPv62001:db8::1"),
        .init(name: "empty zone", text: "fe80::1%"),
        .init(name: "zone with space", text: "fe80::1%eth 0"),
        .init(name: "v6 with prefix length", text: "2001:db8::/32"),
        .init(name: "v6 trailing space", text: "::1 "),
    ]

    @Test("parses", arguments: valid)
    func parses(_ testCase: ValidCase) {
        #expect(IPAddress(testCase.text) == testCase.expected)
    }

    @Test("formats canonically and round-trips", arguments: valid)
    func formats(_ testCase: ValidCase) {
        #expect(testCase.expected.description == testCase.canonical)
        #expect(IPAddress(testCase.canonical) == testCase.expected)
    }

    @Test("parses from a Substring", arguments: valid)
    func parsesSubstring(_ testCase: ValidCase) {
        let padded = "<" + testCase.text + ">"
        let inner = padded.dropFirst().dropLast()
        #expect(IPAddress(inner) == testCase.expected)
    }

    @Test("rejects", arguments: invalid)
    func rejects(_ testCase: InvalidCase) {
        #expect(IPAddress(testCase.text) == nil)
    }

    struct BytesCase: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: IPAddress
        var testDescription: String { name }
    }

    static let v6Bytes: [BytesCase] = [
        .init(name: "loopback", bytes: Array(repeating: 0, count: 15) + [1], expected: .v6(1)),
        .init(
            name: "documentation", bytes: [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [5],
            expected: .v6(0x2001_0db8 << 96 | 5)),
        .init(
            name: "mapped becomes v4", bytes: Array(repeating: 0, count: 10) + [0xff, 0xff, 192, 0, 2, 1],
            expected: .v4(0xC000_0201)),
        .init(
            name: "almost mapped stays v6", bytes: Array(repeating: 0, count: 10) + [0xff, 0xfe, 192, 0, 2, 1],
            expected: .v6(0xfffe_c000_0201)),
    ]

    @Test("builds from IPv6 bytes", arguments: v6Bytes)
    func fromV6Bytes(_ testCase: BytesCase) {
        #expect(IPAddress(ipv6Bytes: testCase.bytes) == testCase.expected)
    }

    @Test("builds from IPv4 bytes")
    func fromV4Bytes() {
        #expect(IPAddress(ipv4Bytes: (192, 0, 2, 1)) == .v4(0xC000_0201))
        #expect(IPAddress(ipv4Bytes: (255, 255, 255, 255)) == .v4(.max))
        #expect(IPAddress(ipv4Bytes: (0, 0, 0, 0)).description == "0.0.0.0")
    }

    @Test("v4 and v6 of the same bits differ")
    func familiesDiffer() {
        #expect(IPAddress.v4(1) != IPAddress.v6(1))
    }
}
