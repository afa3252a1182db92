/// Sorted, disjoint, non-adjacent closed ranges of one address family, with a bucket index for lookups.
///
/// A plain binary search over a million ranges takes ~20 dependent loads, the last several of them cache misses,
/// each waiting on the one before. So the table also keeps a small direct index: the significant bits of the address
/// space the ranges span are cut into 2^k equal buckets (about one per four ranges), and `bucketStarts[b]` is the
/// first range whose lower bound falls in bucket `b` or later. A lookup reads one index entry, then searches the
/// handful of ranges of its bucket, which sit next to each other in memory: typically two or three cache lines.
/// Lower and upper bounds are stored side by side so the final `<= upper` check hits the line already loaded.
struct IntervalTable<Bound: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable {
    struct Range: Sendable {
        var lower: Bound
        var upper: Bound
    }

    private let ranges: [Range]
    private let bucketStarts: [UInt32]
    private let shift: Int
    private let bucketMask: Bound
    // Copies of ranges.first.lower and ranges.last.upper: most addresses of a small set fall outside both.
    private let first: Bound
    private let last: Bound

    /// Sorts and coalesces `input`, which may overlap, nest, touch or repeat.
    init(_ input: consuming [Range]) {
        input.sort { $0.lower < $1.lower }
        var ranges: [Range] = []
        ranges.reserveCapacity(input.count)
        for range in input {
            // Merge when the range overlaps or touches the last one; `upper == .max` guards the `+ 1`.
            if let previous = ranges.last, previous.upper == .max || range.lower <= previous.upper + 1 {
                if range.upper > previous.upper {
                    ranges[ranges.count - 1].upper = range.upper
                }
            } else {
                ranges.append(range)
            }
        }
        self.ranges = ranges
        self.first = ranges.first?.lower ?? .max
        self.last = ranges.last?.upper ?? .min

        // Bucket on the highest bits in which the covered span varies; the bits above them are the same for every
        // address that passes the `first...last` check, so they carry no information.
        let significantBits = ranges.isEmpty ? 0 : Bound.bitWidth - (first ^ last).leadingZeroBitCount
        let wantedBits = max(0, (Bound.bitWidth - Bound(ranges.count).leadingZeroBitCount) - 2)
        let bucketBits = min(wantedBits, 20, significantBits)
        self.shift = significantBits - bucketBits
        self.bucketMask = (1 << Bound(bucketBits)) &- 1

        var bucketStarts = [UInt32](repeating: 0, count: (1 << bucketBits) + 1)
        var next = 0
        for (index, range) in ranges.enumerated() {
            let bucket = Int(truncatingIfNeeded: (range.lower >> Bound(shift)) & bucketMask)
            while next <= bucket {
                bucketStarts[next] = UInt32(index)
                next += 1
            }
        }
        while next < bucketStarts.count {
            bucketStarts[next] = UInt32(ranges.count)
            next += 1
        }
        self.bucketStarts = bucketStarts
    }

    /// Number of coalesced ranges.
    var rangeCount: Int { ranges.count }

    func contains(_ value: Bound) -> Bool {
        guard value >= first && value <= last else { return false }
        let bucket = Int(truncatingIfNeeded: (value >> Bound(shift)) & bucketMask)
        return bucketStarts.withUnsafeBufferPointer { starts in
            ranges.withUnsafeBufferPointer { ranges in
                // The answer is the last range with lower <= value: either in this bucket, or the last range of an
                // earlier bucket (one that began before the bucket and may reach into it). `value >= first`
                // guarantees ranges[base].lower <= value.
                let bucketStart = Int(starts[bucket])
                var base = bucketStart == 0 ? 0 : bucketStart - 1
                var length = Int(starts[bucket + 1]) - base
                // Branch-free: the comparison feeds a conditional move, not a branch mispredicted half the time.
                while length > 1 {
                    let half = length / 2
                    base = ranges[base + half].lower <= value ? base + half : base
                    length -= half
                }
                return value <= ranges[base].upper
            }
        }
    }
}
