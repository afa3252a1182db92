/// A network written as address and prefix length, such as `192.0.2.0/24` or `2001:db8::/32`.
public struct CIDRPrefix: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the network: the address as written, with its host bits cleared.
    public let network: IPAddress
    /// Number of leading network bits: 0...32 for IPv4, 0...128 for IPv6.
    public let length: Int
    /// True when the text had host bits set (`10.1.2.3/8`). The prefix still matches as `10.0.0.0/8`, but that is
    /// usually a typo, so check-config warns about it.
    public let hadHostBits: Bool

    /// Parses `10.0.0.0/8`, `192.0.2.7` (= /32), `2001:db8::/32`, `2001:db8::5` (= /128), `[2001:db8::]/32`, and
    /// IPv4-mapped prefixes such as `::ffff:10.0.0.0/104`, which become the IPv4 prefix `10.0.0.0/8`.
    ///
    /// The address part follows `IPAddress.init?(_:)`, except that a zone id (`%eth0`) is an error: a config entry
    /// that names an interface does not mean what it seems to, and silently dropping it would widen the rule.
    /// A mapped prefix shorter than /96 is an error too, since it would reach outside the IPv4 space.
    @inlinable
    public init(parsing text: some StringProtocol) throws(CIDRParseError) {
        // Inlined only this far, as in `IPAddress.init?(_:)`: a caller in another module (the config loader, once per
        // line of an included file) parses through code specialised for Substring, not through witness tables.
        try self.init(parsingText: Substring(text))
    }

    @usableFromInline
    init(parsingText text: Substring) throws(CIDRParseError) {
        let result = text.utf8.withContiguousStorageIfAvailable { Self.parse($0) }
            ?? Array(text.utf8).withUnsafeBufferPointer { Self.parse($0) }
        switch result {
        case .success(let prefix): self = prefix
        case .failure(let failure): throw failure.error(in: text)
        }
    }

    private init(network: IPAddress, length: Int, hadHostBits: Bool) {
        self.network = network
        self.length = length
        self.hadHostBits = hadHostBits
    }

    /// Why the bytes are not a prefix, with the byte offset of the slash; worded only when someone reads it.
    private enum Failure: Error {
        case zone
        case badAddress(slash: Int)
        case badLength(slash: Int, family: String, maximum: Int)
        case mappedTooShort(length: Int)

        func error(in text: Substring) -> CIDRParseError {
            let utf8 = text.utf8
            func split(_ slash: Int) -> (address: Substring, length: Substring) {
                let index = utf8.index(utf8.startIndex, offsetBy: slash)
                let after = index == utf8.endIndex ? index : utf8.index(after: index)
                return (Substring(utf8[..<index]), Substring(utf8[after...]))
            }
            switch self {
            case .zone:
                return CIDRParseError("zone id not allowed in prefix \"\(text)\" (a prefix matches on address bits only)")
            case .badAddress(let slash):
                return CIDRParseError(
                    "bad IP address \"\(split(slash).address)\" in \"\(text)\" (expected IPv4 like 192.0.2.0 or IPv6 like 2001:db8::)"
                )
            case .badLength(let slash, let family, let maximum):
                return CIDRParseError("bad prefix length \"\(split(slash).length)\" in \"\(text)\" (\(family) takes 0-\(maximum))")
            case .mappedTooShort(let length):
                return CIDRParseError(
                    "bad prefix length \"\(length)\" in \"\(text)\" (an IPv4-mapped prefix takes 96-128; "
                        + "shorter ones reach outside ::ffff:0:0/96)"
                )
            }
        }
    }

    /// The one parser, on the UTF-8 bytes in one pass: the config loader runs it once per line of a million-line
    /// file, and an error is only described, from the text, when it is one.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<CIDRPrefix, Failure> {
        var slash = bytes.count
        for index in bytes.indices where bytes[index] == UInt8(ascii: "/") {
            slash = index
            break
        }
        for index in 0..<slash where bytes[index] == UInt8(ascii: "%") { return .failure(.zone) }
        guard let parsed = IPAddressParser.parse(bytes: UnsafeBufferPointer(rebasing: bytes[..<slash])) else {
            return .failure(.badAddress(slash: slash))
        }
        // A mapped address is written in IPv6, so its length counts IPv6 bits.
        let writtenMaximum = parsed.wasMapped ? 128 : parsed.address.bitWidth
        var length = writtenMaximum
        if slash < bytes.count {
            // Decimal digits only, at most three, so a sign, spaces or an overflowing number are all errors.
            let digits = bytes.count - slash - 1
            var value: Int? = digits >= 1 && digits <= 3 ? 0 : nil
            for byte in bytes[(slash + 1)...] where value != nil {
                value = byte &- UInt8(ascii: "0") < 10 ? value! * 10 + Int(byte &- UInt8(ascii: "0")) : nil
            }
            guard let value, value <= writtenMaximum else {
                let family = parsed.wasMapped || writtenMaximum == 128 ? "IPv6" : "IPv4"
                return .failure(.badLength(slash: slash, family: family, maximum: writtenMaximum))
            }
            length = value
        }
        if parsed.wasMapped {
            guard length >= 96 else { return .failure(.mappedTooShort(length: length)) }
            length -= 96
        }
        let network = parsed.address.masked(toLength: length)
        return .success(CIDRPrefix(network: network, length: length, hadHostBits: network != parsed.address))
    }

    /// Whether `address` lies in this network. An IPv4 address never lies in an IPv6 network, nor the reverse.
    public func contains(_ address: IPAddress) -> Bool {
        // Family first: masking an IPv4 address to an IPv6 length is meaningless.
        address.bitWidth == network.bitWidth && address.masked(toLength: length) == network
    }

    /// `network/length`, with the network in canonical form (`10.0.0.0/8` for input `10.1.2.3/8`).
    public var description: String { "\(network)/\(length)" }
}

/// Why a prefix could not be parsed, phrased for the admin: what was found, and what was expected.
public struct CIDRParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole explanation, e.g. `bad prefix length "33" in "10.0.0.0/33" (IPv4 takes 0-32)`.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    /// Same as `message`, so interpolating the error reads well in logs and check-config output.
    public var description: String { message }
}

extension IPAddress {
    /// 32 or 128.
    var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The address with all but the first `length` bits cleared. Masks are built with explicit cases for 0 because
    /// shifting a value by its full width is not a no-op you want to reason about.
    func masked(toLength length: Int) -> IPAddress {
        switch self {
        case .v4(let value):
            let mask: UInt32 = length == 0 ? 0 : ~0 << UInt32(32 - length)
            return .v4(value & mask)
        case .v6(let value):
            let mask: UInt128 = length == 0 ? 0 : ~0 << UInt128(128 - length)
            return .v6(value & mask)
        }
    }
}
