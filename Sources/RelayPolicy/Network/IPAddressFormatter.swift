/// Writes addresses as text straight into the new string's buffer: addresses are formatted for every log line and
/// reply, so this avoids building a string per octet or group.
enum IPAddressFormatter {
    private static let hexDigits: StaticString = "0123456789abcdef"

    static func format(v4 value: UInt32) -> String {
        String(unsafeUninitializedCapacity: 15) { buffer in
            var count = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                if shift != 24 {
                    buffer[count] = UInt8(ascii: ".")
                    count += 1
                }
                count += writeDecimal(UInt8(truncatingIfNeeded: value >> UInt32(shift)), into: buffer, at: count)
            }
            return count
        }
    }

    static func format(v6 value: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> UInt128(112 - 16 * $0)) }
        let (runStart, runLength) = longestZeroRun(groups)
        return String(unsafeUninitializedCapacity: 39) { buffer in
            var count = 0
            var index = 0
            while index < 8 {
                if index == runStart {
                    // "::" replaces the run and also stands for the separators on both sides of it.
                    buffer[count] = UInt8(ascii: ":")
                    buffer[count + 1] = UInt8(ascii: ":")
                    count += 2
                    index += runLength
                    continue
                }
                if index != 0 && index != runStart + runLength {
                    buffer[count] = UInt8(ascii: ":")
                    count += 1
                }
                count += writeHex(groups[index], into: buffer, at: count)
                index += 1
            }
            return count
        }
    }

    /// RFC 5952 section 4.2: compress only a run of at least two zero groups, the longest, the first on a tie.
    /// Returns start -1 when there is nothing to compress.
    private static func longestZeroRun(_ groups: [UInt16]) -> (start: Int, length: Int) {
        var best = (start: -1, length: 1)
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            let start = index
            while index < groups.count && groups[index] == 0 {
                index += 1
            }
            if index - start > best.length {
                best = (start, index - start)
            }
        }
        return best.start < 0 ? (-1, 0) : best
    }

    private static func writeDecimal(_ value: UInt8, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var count = 0
        if value >= 100 {
            buffer[start + count] = UInt8(ascii: "0") + value / 100
            count += 1
        }
        if value >= 10 {
            buffer[start + count] = UInt8(ascii: "0") + value / 10 % 10
            count += 1
        }
        buffer[start + count] = UInt8(ascii: "0") + value % 10
        return count + 1
    }

    private static func writeHex(_ value: UInt16, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var count = 0
        var shift = 12
        // Skip leading zero nibbles but always write the last one, so a zero group prints as "0".
        while shift > 0 && (value >> UInt16(shift)) & 0xF == 0 {
            shift -= 4
        }
        while shift >= 0 {
            buffer[start + count] = hexDigits.withUTF8Buffer { $0[Int((value >> UInt16(shift)) & 0xF)] }
            count += 1
            shift -= 4
        }
        return count
    }
}
