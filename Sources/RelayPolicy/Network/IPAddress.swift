/// An IPv4 or IPv6 address, as a client of the milter or a network in the config names it.
///
/// IPv4-mapped IPv6 addresses (`::ffff:0:0/96`) are always stored as `.v4`, whether they come from text or from a
/// socket address: a dual-stack Postfix reports an IPv4 client as `::ffff:a.b.c.d`, and an IPv4 network in the config
/// must still match it. So an `IPAddress` has one spelling per host, and `.v4` never equals `.v6`.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address, most significant byte first (192.0.2.1 is `0xC000_0201`).
    case v4(UInt32)
    /// An IPv6 address, most significant byte first. Never in `::ffff:0:0/96`, which is held as `.v4`.
    case v6(UInt128)

    /// Builds an address from the four bytes of an IPv4 address in network order, as `sockaddr_in` holds them.
    public init(ipv4Bytes bytes: (UInt8, UInt8, UInt8, UInt8)) {
        self = .v4(UInt32(bytes.0) << 24 | UInt32(bytes.1) << 16 | UInt32(bytes.2) << 8 | UInt32(bytes.3))
    }

    /// Builds an address from the 16 bytes of an IPv6 address in network order, as `sockaddr_in6` holds them.
    ///
    /// An address in `::ffff:0:0/96` becomes `.v4`. Passing anything but 16 bytes is a programming error and traps.
    public init(ipv6Bytes bytes: [UInt8]) {
        precondition(bytes.count == 16, "IPv6 address needs 16 bytes, got \(bytes.count)")
        var value: UInt128 = 0
        for byte in bytes {
            value = value << 8 | UInt128(byte)
        }
        self.init(unmappingV6: value)
    }

    /// Wraps a 128-bit value, turning IPv4-mapped addresses into `.v4` (the one place that rule lives).
    init(unmappingV6 value: UInt128) {
        if value >> 32 == 0xFFFF {
            self = .v4(UInt32(truncatingIfNeeded: value))
        } else {
            self = .v6(value)
        }
    }

    /// Canonical text: a dotted quad for IPv4, RFC 5952 for IPv6 (lowercase hex, no leading zeros, the longest run of
    /// two or more zero groups compressed to `::`, the first one on a tie).
    public var description: String {
        switch self {
        case .v4(let value): IPAddressFormatter.format(v4: value)
        case .v6(let value): IPAddressFormatter.format(v6: value)
        }
    }
}
