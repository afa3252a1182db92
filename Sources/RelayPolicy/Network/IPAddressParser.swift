extension IPAddress {
    /// Parses an address as Postfix, XCLIENT and the config spell it.
    ///
    /// Accepted: `192.0.2.1`; `2001:db8::1` in any RFC 4291 form, including an IPv4 tail (`64:ff9b::192.0.2.1`);
    /// either inside brackets (`[2001:db8::1]`, `[192.0.2.1]`, the SMTP address-literal spelling); an `IPv6:` prefix
    /// in any case (`IPv6:2001:db8::1`, Postfix and XCLIENT), which then requires IPv6. IPv4-mapped addresses
    /// (`::ffff:192.0.2.1`, `::ffff:c000:201`) become `.v4`.
    ///
    /// Deliberate choices:
    /// - IPv4 octets with leading zeros (`010.0.0.1`) are rejected: inet_aton and some config parsers read them as
    ///   octal (8), others as decimal (10), so a policy must not guess which the admin meant.
    /// - An IPv6 zone id (`fe80::1%eth0`) is stripped: it names the interface, not the host, and prefixes never carry
    ///   one, so `fe80::/10` should match a link-local client whatever interface it came in on. The zone must be
    ///   non-empty and made of letters, digits, `-`, `_` or `.`.
    /// - Nothing else is trimmed or tolerated: whitespace, `unknown`, host names and shorthand like `1.2.3` give nil.
    @inlinable
    public init?(_ text: some StringProtocol) {
        // Inlined only this far: the caller's concrete String or Substring hands its UTF-8 buffer to the
        // non-generic parser, instead of the whole parse going through generic witness tables.
        let parsed = text.utf8.withContiguousStorageIfAvailable { IPAddress.parse(utf8: $0) }
        guard let address = parsed ?? IPAddress.parse(utf8: Array(text.utf8)) else { return nil }
        self = address
    }

    @usableFromInline
    static func parse(utf8: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        IPAddressParser.parse(bytes: utf8)?.address
    }

    @usableFromInline
    static func parse(utf8: [UInt8]) -> IPAddress? {
        utf8.withUnsafeBufferPointer { IPAddressParser.parse(bytes: $0)?.address }
    }
}

/// The byte-level parser behind `IPAddress.init?(_:)` and `CIDRPrefix.init(parsing:)`.
///
/// It runs once per connection, so it reads UTF-8 bytes in place, allocates nothing on the success path, and avoids
/// Foundation, regexes and inet_pton (RelayPolicy stays free of C).
enum IPAddressParser {
    struct Parsed {
        var address: IPAddress
        /// Written as an IPv4-mapped IPv6 address; a prefix length must then be counted in IPv6 bits.
        var wasMapped: Bool
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Parsed? {
        var start = 0
        var end = bytes.count
        if end - start >= 2 && bytes[start] == UInt8(ascii: "[") {
            guard bytes[end - 1] == UInt8(ascii: "]") else { return nil }
            start += 1
            end -= 1
        }
        var requireV6 = false
        if hasIPv6Tag(bytes, start, end) {
            requireV6 = true
            start += 5
        }
        var hasColon = false
        for index in start..<end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":") {
                hasColon = true
            } else if byte == UInt8(ascii: "%") {
                guard hasColon, isValidZone(bytes, index + 1, end) else { return nil }
                end = index
                break
            }
        }
        if hasColon {
            guard let value = parseV6(bytes, start, end) else { return nil }
            let address = IPAddress(unmappingV6: value)
            if case .v4 = address {
                return Parsed(address: address, wasMapped: true)
            }
            return Parsed(address: address, wasMapped: false)
        }
        guard !requireV6, let value = parseV4(bytes, start, end) else { return nil }
        return Parsed(address: .v4(value), wasMapped: false)
    }

    /// Case-insensitive `IPv6:` at `start`.
    private static func hasIPv6Tag(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard end - start > 5 else { return false }
        // ASCII letters only differ from their capitals in bit 0x20; digits and ":" are compared exactly.
        return bytes[start] | 0x20 == UInt8(ascii: "i")
            && bytes[start + 1] | 0x20 == UInt8(ascii: "p")
            && bytes[start + 2] | 0x20 == UInt8(ascii: "v")
            && bytes[start + 3] == UInt8(ascii: "6")
            && bytes[start + 4] == UInt8(ascii: ":")
    }

    private static func isValidZone(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        for index in start..<end {
            switch bytes[index] {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// Exactly four decimal octets 0-255, no leading zeros, no shorthand.
    static func parseV4(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var index = start
        while true {
            var octet: UInt32 = 0
            var digits = 0
            let octetStart = index
            while index < end, bytes[index] &- UInt8(ascii: "0") < 10 {
                octet = octet * 10 + UInt32(bytes[index] &- UInt8(ascii: "0"))
                digits += 1
                index += 1
                guard digits <= 3 else { return nil }
            }
            guard digits > 0, octet <= 255 else { return nil }
            guard digits == 1 || bytes[octetStart] != UInt8(ascii: "0") else { return nil }
            value = value << 8 | octet
            octets += 1
            if octets == 4 {
                return index == end ? value : nil
            }
            guard index < end, bytes[index] == UInt8(ascii: ".") else { return nil }
            index += 1
        }
    }

    /// RFC 4291 section 2.2 text: eight groups of 1-4 hex digits, at most one `::` standing for one or more zero
    /// groups, optionally ending in a dotted IPv4 address that counts as two groups.
    static func parseV6(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt128? {
        // Groups before "::" go into `head`, groups after it into `tail`; the gap between them is the zero run.
        var head: UInt128 = 0
        var tail: UInt128 = 0
        var headCount = 0
        var tailCount = 0
        var compressed = false
        var index = start

        func append(_ group: UInt128) -> Bool {
            guard headCount + tailCount < 8 else { return false }
            if compressed {
                tail = tail << 16 | group
                tailCount += 1
            } else {
                head = head << 16 | group
                headCount += 1
            }
            return true
        }

        if index < end && bytes[index] == UInt8(ascii: ":") {
            guard index + 1 < end, bytes[index + 1] == UInt8(ascii: ":") else { return nil }
            compressed = true
            index += 2
        }
        while index < end {
            let groupStart = index
            var group: UInt32 = 0
            var digits = 0
            while index < end, let nibble = hexValue(bytes[index]) {
                group = group << 4 | nibble
                digits += 1
                index += 1
                guard digits <= 4 else { return nil }
            }
            if index < end && bytes[index] == UInt8(ascii: ".") {
                // A dotted IPv4 tail: only as the last thing in the text.
                guard let v4 = parseV4(bytes, groupStart, end),
                    append(UInt128(v4 >> 16)), append(UInt128(v4 & 0xFFFF))
                else { return nil }
                index = end
                break
            }
            guard digits > 0, append(UInt128(group)) else { return nil }
            if index == end { break }
            guard bytes[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < end && bytes[index] == UInt8(ascii: ":") {
                guard !compressed else { return nil }
                compressed = true
                index += 1
            } else if index == end {
                return nil  // a single trailing ":"
            }
        }
        if compressed {
            // "::" must stand for at least one group.
            guard headCount + tailCount <= 7 else { return nil }
            return head << UInt128(16 * (8 - headCount)) | tail
        }
        guard headCount == 8 else { return nil }
        return head
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte &- UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte &- UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
