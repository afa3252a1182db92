/// A set of networks that answers "is this client in any of them?" in logarithmic time.
///
/// Built once per config load, queried on every RCPT. The prefixes of each family are merged at build time into
/// sorted, disjoint, coalesced address ranges in flat arrays, so a config with a million entries costs an index
/// read and a short search per lookup (see `IntervalTable`), and overlapping or adjacent entries (`10.0.0.0/9` + `10.128.0.0/9`) cost nothing extra.
public struct CIDRSet: Sendable {
    private let v4: IntervalTable<UInt32>
    private let v6: IntervalTable<UInt128>

    /// How many prefixes the set was built from (duplicates and overlaps included), for reporting.
    public let prefixCount: Int

    /// The empty set, which matches no address.
    public init() {
        self.init([])
    }

    /// Builds the set from `prefixes`; duplicates and overlapping prefixes are fine.
    @inlinable
    public init(_ prefixes: some Sequence<CIDRPrefix>) {
        // Inlined only this far, so a caller's sequence type never runs the build through generic witness tables.
        self.init(building: Array(prefixes))
    }

    @usableFromInline
    init(building prefixes: [CIDRPrefix]) {
        var v4Ranges: [IntervalTable<UInt32>.Range] = []
        var v6Ranges: [IntervalTable<UInt128>.Range] = []
        for prefix in prefixes {
            switch prefix.network {
            case .v4(let network):
                let hostMask: UInt32 = prefix.length == 0 ? .max : (1 << UInt32(32 - prefix.length)) &- 1
                v4Ranges.append(.init(lower: network, upper: network | hostMask))
            case .v6(let network):
                let hostMask: UInt128 = prefix.length == 0 ? .max : (1 << UInt128(128 - prefix.length)) &- 1
                v6Ranges.append(.init(lower: network, upper: network | hostMask))
            }
        }
        self.v4 = IntervalTable(v4Ranges)
        self.v6 = IntervalTable(v6Ranges)
        self.prefixCount = prefixes.count
    }

    /// Whether `address` lies in any prefix of its own family.
    public func contains(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let value): v4.contains(value)
        case .v6(let value): v6.contains(value)
        }
    }

    /// Whether `address` lies in any prefix; nil (Postfix's "unknown" client) matches no network, so a rule that
    /// grants something to listed networks never grants it to a client whose address is not known.
    public func contains(_ address: IPAddress?) -> Bool {
        guard let address else { return false }
        return contains(address)
    }

    /// True when the set was built from no prefixes.
    public var isEmpty: Bool { prefixCount == 0 }
}
