#if canImport(Glibc)
import Glibc
#endif

typealias Bytes = UnsafeBufferPointer<UInt8>

extension UnsafeBufferPointer<UInt8> {
    /// The first index at or after `from` where `needle` starts.
    /// memchr for the first byte, memcmp for the rest (glibc's memmem is a GNU extension Swift's Glibc module
    /// does not export).
    func find(_ needle: StaticString, from: Int = 0) -> Int? {
        let length = needle.utf8CodeUnitCount
        let first = needle.utf8Start.pointee
        var index = from
        while index + length <= count, let candidate = find(byte: first, from: index) {
            guard candidate + length <= count else { return nil }
            if memcmp(baseAddress! + candidate, needle.utf8Start, length) == 0 { return candidate }
            index = candidate + 1
        }
        return nil
    }

    func find(byte: UInt8, from: Int = 0) -> Int? {
        guard from < count, let base = baseAddress else { return nil }
        return memchr(base + from, Int32(byte), count - from).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base }
    }

    func hasPrefix(_ prefix: StaticString, at index: Int = 0) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard index >= 0, index + length <= count, let base = baseAddress else { return false }
        return memcmp(base + index, prefix.utf8Start, length) == 0
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }

    /// The decimal number in `range`, nil when it holds anything but digits.
    func number(_ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        var value = 0
        for index in range {
            let digit = Int(self[index]) - 0x30
            guard (0...9).contains(digit) else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
