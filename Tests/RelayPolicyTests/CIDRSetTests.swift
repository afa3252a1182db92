import RelayGuardTestSupport
import RelayPolicy
import Testing

@Suite("CIDRPrefix")
struct CIDRPrefixTests {
    struct ValidCase: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let canonical: String
        var hadHostBits = false
        var testDescription: String { name }
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let message: String
        var testDescription: String { name }
    }

    static let valid: [ValidCase] = [
        .init(name: "v4 /8", text: "10.0.0.0/8", canonical: "10.0.0.0/8"),
        .init(name: "v4 bare address is /32", text: "192.0.2.7", canonical: "192.0.2.7/32"),
        .init(name: "v4 /32", text: "192.0.2.7/32", canonical: "192.0.2.7/32"),
        .init(name: "v4 /31", text: "192.0.2.6/31", canonical: "192.0.2.6/31"),
        .init(name: "v4 /0", text: "0.0.0.0/0", canonical: "0.0.0.0/0"),
        .init(name: "v4 host bits", text: "10.1.2.3/8", canonical: "10.0.0.0/8", hadHostBits: true),
        .init(name: "v4 /0 with host bits", text: "192.0.2.1/0", canonical: "0.0.0.0/0", hadHostBits: true),
        .init(name: "v4 /31 host bit", text: "192.0.2.7/31", canonical: "192.0.2.6/31", hadHostBits: true),
        .init(name: "v4 length with leading zero", text: "10.0.0.0/08", canonical: "10.0.0.0/8"),
        .init(name: "v6 /32", text: "2001:db8::/32", canonical: "2001:db8::/32"),
        .init(name: "v6 bare address is /128", text: "2001:db8::5", canonical: "2001:db8::5/128"),
        .init(name: "v6 /128", text: "2001:db8::5/128", canonical: "2001:db8::5/128"),
        .init(name: "v6 /127", text: "2001:db8::4/127", canonical: "2001:db8::4/127"),
        .init(name: "v6 /0", text: "::/0", canonical: "::/0"),
        .init(name: "v6 host bits", text: "2001:db8::1/32", canonical: "2001:db8::/32", hadHostBits: true),
        .init(name: "v6 in brackets", text: "[2001:db8::]/32", canonical: "2001:db8::/32"),
        .init(name: "v6 IPv6: prefix", text: "IPv6:2001:db8::/48", canonical: "2001:db8::/48"),
        .init(name: "mapped /104 is v4 /8", text: "::ffff:10.0.0.0/104", canonical: "10.0.0.0/8"),
        .init(name: "mapped /96 is v4 /0", text: "::ffff:0.0.0.0/96", canonical: "0.0.0.0/0"),
        .init(name: "mapped bare is v4 /32", text: "::ffff:192.0.2.1", canonical: "192.0.2.1/32"),
        .init(name: "mapped host bits", text: "::ffff:10.1.2.3/104", canonical: "10.0.0.0/8", hadHostBits: true),
    ]

    static let invalid: [InvalidCase] = [
        .init(
            name: "v4 length 33", text: "10.0.0.0/33",
            message: #"bad prefix length "33" in "10.0.0.0/33" (IPv4 takes 0-32)"#),
        .init(
            name: "v6 length 129", text: "2001:db8::/129",
            message: #"bad prefix length "129" in "2001:db8::/129" (IPv6 takes 0-128)"#),
        .init(
            name: "empty length", text: "1.2.3.4/",
            message: #"bad prefix length "" in "1.2.3.4/" (IPv4 takes 0-32)"#),
        .init(
            name: "negative length", text: "10.0.0.0/-1",
            message: #"bad prefix length "-1" in "10.0.0.0/-1" (IPv4 takes 0-32)"#),
        .init(
            name: "length with space", text: "10.0.0.0/ 8",
            message: #"bad prefix length " 8" in "10.0.0.0/ 8" (IPv4 takes 0-32)"#),
        .init(
            name: "long length", text: "10.0.0.0/0008",
            message: #"bad prefix length "0008" in "10.0.0.0/0008" (IPv4 takes 0-32)"#),
        .init(
            name: "two slashes", text: "10.0.0.0/8/9",
            message: #"bad prefix length "8/9" in "10.0.0.0/8/9" (IPv4 takes 0-32)"#),
        .init(
            name: "short address", text: "10.0.0/8",
            message: #"bad IP address "10.0.0" in "10.0.0/8" (expected IPv4 like 192.0.2.0 or IPv6 like 2001:db8::)"#),
        .init(
            name: "empty", text: "",
            message: #"bad IP address "" in "" (expected IPv4 like 192.0.2.0 or IPv6 like 2001:db8::)"#),
        .init(
            name: "slash only", text: "/8",
            message: #"bad IP address "" in "/8" (expected IPv4 like 192.0.2.0 or IPv6 like 2001:db8::)"#),
        .init(
            name: "host name", text: "example.com/24",
            message: #"bad IP address "example.com" in "example.com/24" (expected IPv4 like 192.0.2.0 or IPv6 like 2001:db8::)"#),
        .init(
            name: "length inside brackets", text: "[2001:db8::/32]",
            message: #"bad IP address "[2001:db8::" in "[2001:db8::/32]" (expected IPv4 like 192.0.2.0 or IPv6 like 2001:db8::)"#),
        .init(
            name: "mapped length under 96", text: "::ffff:0:0/80",
            message: #"bad prefix length "80" in "::ffff:0:0/80" (an IPv4-mapped prefix takes 96-128; shorter ones reach outside ::ffff:0:0/96)"#),
        .init(
            name: "mapped length over 128", text: "::ffff:10.0.0.0/129",
            message: #"bad prefix length "129" in "::ffff:10.0.0.0/129" (IPv6 takes 0-128)"#),
        .init(
            name: "zone id", text: "fe80::%eth0/10",
            message: #"zone id not allowed in prefix "fe80::%eth0/10" (a prefix matches on address bits only)"#),
    ]

    @Test("parses", arguments: valid)
    func parses(_ testCase: ValidCase) throws {
        let prefix = try CIDRPrefix(parsing: testCase.text)
        #expect(prefix.description == testCase.canonical)
        #expect(prefix.hadHostBits == testCase.hadHostBits)
        // The canonical form parses back to the same prefix, minus the host-bits flag.
        let reparsed = try CIDRPrefix(parsing: prefix.description)
        #expect(reparsed.network == prefix.network && reparsed.length == prefix.length && !reparsed.hadHostBits)
    }

    @Test("rejects with a message that says what was expected", arguments: invalid)
    func rejects(_ testCase: InvalidCase) {
        #expect(throws: CIDRParseError.self) { try CIDRPrefix(parsing: testCase.text) }
        do {
            _ = try CIDRPrefix(parsing: testCase.text)
        } catch {
            #expect(error.message == testCase.message)
            #expect("\(error)" == testCase.message)
        }
    }

    struct ContainsCase: Sendable, CustomTestStringConvertible {
        let name: String
        let prefix: String
        let inside: [String]
        let outside: [String]
        var testDescription: String { name }
    }

    static let containment: [ContainsCase] = [
        .init(
            name: "v4 /0 matches all IPv4, no IPv6", prefix: "0.0.0.0/0",
            inside: ["0.0.0.0", "255.255.255.255", "::ffff:192.0.2.1"], outside: ["::", "::1", "2001:db8::1"]),
        .init(
            name: "v6 /0 matches all IPv6, no IPv4", prefix: "::/0",
            inside: ["::", "2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
            outside: ["0.0.0.0", "192.0.2.1", "::ffff:192.0.2.1"]),
        .init(
            name: "v4 /31", prefix: "192.0.2.6/31", inside: ["192.0.2.6", "192.0.2.7"],
            outside: ["192.0.2.5", "192.0.2.8"]),
        .init(name: "v4 /32", prefix: "192.0.2.7", inside: ["192.0.2.7"], outside: ["192.0.2.6", "192.0.2.8"]),
        .init(
            name: "v4 host bits match as network", prefix: "10.1.2.3/8", inside: ["10.0.0.0", "10.255.255.255"],
            outside: ["9.255.255.255", "11.0.0.0"]),
        .init(
            name: "v6 /127", prefix: "2001:db8::4/127", inside: ["2001:db8::4", "2001:db8::5"],
            outside: ["2001:db8::3", "2001:db8::6"]),
        .init(name: "v6 /128", prefix: "2001:db8::5", inside: ["2001:db8::5"], outside: ["2001:db8::4", "2001:db8::6"]),
        .init(
            name: "mapped prefix matches v4 clients", prefix: "::ffff:10.0.0.0/104",
            inside: ["10.1.2.3", "::ffff:10.9.9.9"], outside: ["11.0.0.0", "::10.1.2.3"]),
    ]

    @Test("contains", arguments: containment)
    func contains(_ testCase: ContainsCase) throws {
        let prefix = try CIDRPrefix(parsing: testCase.prefix)
        for text in testCase.inside {
            let address = try #require(IPAddress(text))
            #expect(prefix.contains(address), "\(text) should be in \(prefix)")
        }
        for text in testCase.outside {
            let address = try #require(IPAddress(text))
            #expect(!prefix.contains(address), "\(text) should not be in \(prefix)")
        }
    }
}

@Suite("CIDRSet")
struct CIDRSetTests {
    struct SetCase: Sendable, CustomTestStringConvertible {
        let name: String
        let prefixes: [String]
        let inside: [String]
        let outside: [String]
        var testDescription: String { name }
    }

    static let cases: [SetCase] = [
        .init(name: "empty set", prefixes: [], inside: [], outside: ["0.0.0.0", "255.255.255.255", "::", "::1"]),
        .init(
            name: "boundaries lo-1, lo, hi, hi+1", prefixes: ["192.0.2.0/24"],
            inside: ["192.0.2.0", "192.0.2.255"], outside: ["192.0.1.255", "192.0.3.0"]),
        .init(
            name: "v6 boundaries", prefixes: ["2001:db8::/32"],
            inside: ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"],
            outside: ["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::"]),
        .init(
            name: "adjacent prefixes coalesce", prefixes: ["10.0.0.0/9", "10.128.0.0/9"],
            inside: ["10.0.0.0", "10.127.255.255", "10.128.0.0", "10.255.255.255"],
            outside: ["9.255.255.255", "11.0.0.0"]),
        .init(
            name: "nested and duplicate prefixes", prefixes: ["10.0.0.0/8", "10.1.0.0/16", "10.0.0.0/8", "10.1.2.3"],
            inside: ["10.0.0.0", "10.1.2.3", "10.255.255.255"], outside: ["9.255.255.255", "11.0.0.0"]),
        .init(
            name: "small prefix before large one", prefixes: ["10.200.0.0/16", "10.0.0.0/8", "192.0.2.1"],
            inside: ["10.0.0.0", "10.255.255.255", "192.0.2.1"],
            outside: ["11.0.0.0", "192.0.2.0", "192.0.2.2"]),
        .init(
            name: "gap between prefixes", prefixes: ["192.0.2.0/25", "192.0.2.192/26"],
            inside: ["192.0.2.127", "192.0.2.192", "192.0.2.255"],
            outside: ["192.0.2.128", "192.0.2.191", "192.0.3.0"]),
        .init(
            name: "v4 /0 and v6 /0 reach the ends", prefixes: ["0.0.0.0/0", "::/0"],
            inside: ["0.0.0.0", "255.255.255.255", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], outside: []),
        .init(
            name: "last address of the space coalesces", prefixes: ["255.255.255.255", "255.255.255.254", "0.0.0.0"],
            inside: ["255.255.255.254", "255.255.255.255", "0.0.0.0"], outside: ["255.255.255.253", "0.0.0.1"]),
        .init(
            name: "v4 prefixes do not match v6", prefixes: ["0.0.0.0/0"],
            inside: ["192.0.2.1", "::ffff:192.0.2.1"], outside: ["::", "::c000:201", "64:ff9b::192.0.2.1"]),
        .init(
            name: "v6 prefixes do not match v4", prefixes: ["::/0"],
            inside: ["::", "::c000:201"], outside: ["0.0.0.0", "192.0.2.1", "::ffff:192.0.2.1"]),
        .init(
            name: "mixed families", prefixes: ["10.0.0.0/8", "2001:db8::/32", "::ffff:192.0.2.0/120"],
            inside: ["10.1.1.1", "2001:db8::1", "192.0.2.9"], outside: ["11.1.1.1", "2001:db9::", "::a01:101"]),
    ]

    @Test("contains", arguments: cases)
    func contains(_ testCase: SetCase) throws {
        let set = CIDRSet(try testCase.prefixes.map { try CIDRPrefix(parsing: $0) })
        #expect(set.prefixCount == testCase.prefixes.count)
        #expect(set.isEmpty == testCase.prefixes.isEmpty)
        for text in testCase.inside {
            let address = try #require(IPAddress(text))
            #expect(set.contains(address), "\(text) should be in the set")
        }
        for text in testCase.outside {
            let address = try #require(IPAddress(text))
            #expect(!set.contains(address), "\(text) should not be in the set")
        }
    }

    @Test("nil address matches no network")
    func nilAddress() throws {
        let everything = CIDRSet([try CIDRPrefix(parsing: "0.0.0.0/0"), try CIDRPrefix(parsing: "::/0")])
        #expect(!everything.contains(IPAddress("unknown")))
        #expect(!CIDRSet().contains(nil as IPAddress?))
        #expect(everything.contains(IPAddress("192.0.2.1")))
    }

    @Test("empty initializer")
    func emptyInit() {
        let set = CIDRSet()
        #expect(set.isEmpty)
        #expect(set.prefixCount == 0)
        #expect(!set.contains(.v4(0)))
    }

    /// Compares the interval set with a naive scan of every prefix. Prefixes are drawn from one /10-sized region per
    /// family: mostly short host parts (nesting, overlaps, gaps), sometimes a sibling of the previous prefix (adjacent
    /// ranges that must coalesce), rarely a wide one that spans many lookup buckets. Probes include every prefix's
    /// first and last address and the addresses just outside, where an off-by-one in coalescing or search would
    /// show, plus random addresses in the region.
    @Test("agrees with a naive scan", arguments: [1, 2, 3])
    func randomizedCrossCheck(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let regionBits: UInt64 = 22
        let v4Region: UInt32 = 0x6440_0000  // 100.64.0.0/10
        let v6Region: UInt128 = 0x2001_0db8 << 96

        func hostBits() -> Int {
            random.next() % 64 == 0 ? 18 : Int(random.next() % 13)
        }
        var prefixes: [CIDRPrefix] = []
        while prefixes.count < 1200 {
            let bits = hostBits()
            let offset = random.next() & (1 << regionBits - 1)
            let isV4 = random.next() % 2 == 0
            let address: IPAddress = isV4 ? .v4(v4Region | UInt32(offset)) : .v6(v6Region | UInt128(offset))
            let length = (isV4 ? 32 : 128) - bits
            let prefix = try CIDRPrefix(parsing: "\(address)/\(length)")
            prefixes.append(prefix)
            if random.next() % 8 == 0 {
                // The other half of the parent network: touches `prefix` exactly.
                let sibling: IPAddress =
                    switch prefix.network {
                    case .v4(let network): .v4(network ^ 1 << UInt32(bits))
                    case .v6(let network): .v6(network ^ 1 << UInt128(bits))
                    }
                prefixes.append(try CIDRPrefix(parsing: "\(sibling)/\(length)"))
            }
        }
        let set = CIDRSet(prefixes)

        var probes: [IPAddress] = []
        for prefix in prefixes.prefix(400) {
            switch prefix.network {
            case .v4(let low):
                let high = low | (prefix.length == 0 ? .max : (1 << UInt32(32 - prefix.length)) - 1)
                probes += [.v4(low &- 1), .v4(low), .v4(high), .v4(high &+ 1)]
            case .v6(let low):
                let high = low | (prefix.length == 0 ? .max : (1 << UInt128(128 - prefix.length)) - 1)
                probes += [.v6(low &- 1), .v6(low), .v6(high), .v6(high &+ 1)]
            }
        }
        for _ in 0..<1500 {
            let offset = random.next() & (1 << regionBits - 1)
            probes += [.v4(v4Region | UInt32(offset)), .v6(v6Region | UInt128(offset))]
        }

        var mismatches: [String] = []
        var hits = 0
        for address in probes {
            let expected = prefixes.contains { $0.contains(address) }
            hits += expected ? 1 : 0
            if set.contains(address) != expected {
                mismatches.append("\(address): set says \(!expected), scan says \(expected)")
            }
        }
        let firstMismatches = mismatches.prefix(10)
        #expect(mismatches.count == 0, "first mismatches: \(firstMismatches)")
        // Guard the test itself: a region fully covered (or empty) would make the comparison trivial.
        #expect(hits > probes.count / 5 && hits < probes.count * 4 / 5, "hits \(hits) of \(probes.count)")
    }
}
