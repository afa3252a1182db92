// Byte-level helpers shared by the address scanners.
//
// The decoder runs on every RCPT, so it reads UTF-8 bytes through buffer pointers instead of Characters: no grapheme
// breaking, no Foundation, and no allocation until a result String is built. Every buffer handed between these helpers
// is rebased to start at index 0, so a range computed by one helper is valid in the buffer it was computed on.

/// A read-only view of address bytes, always rebased so that its indices run from 0.
typealias AddressBytes = UnsafeBufferPointer<UInt8>

/// The ASCII bytes the address grammar cares about.
///
/// Computed rather than `static let`: a stored static is a lazily initialised global, and its accessor call showed up
/// in the scanner's hot loop.
enum ASCII {
    @inline(__always) static var tab: UInt8 { 0x09 }
    @inline(__always) static var lineFeed: UInt8 { 0x0A }
    @inline(__always) static var carriageReturn: UInt8 { 0x0D }
    @inline(__always) static var space: UInt8 { 0x20 }
    @inline(__always) static var bang: UInt8 { 0x21 }
    @inline(__always) static var quote: UInt8 { 0x22 }
    @inline(__always) static var percent: UInt8 { 0x25 }
    @inline(__always) static var openParen: UInt8 { 0x28 }
    @inline(__always) static var closeParen: UInt8 { 0x29 }
    @inline(__always) static var plus: UInt8 { 0x2B }
    @inline(__always) static var hyphen: UInt8 { 0x2D }
    @inline(__always) static var slash: UInt8 { 0x2F }
    @inline(__always) static var colon: UInt8 { 0x3A }
    @inline(__always) static var semicolon: UInt8 { 0x3B }
    @inline(__always) static var lessThan: UInt8 { 0x3C }
    @inline(__always) static var equals: UInt8 { 0x3D }
    @inline(__always) static var greaterThan: UInt8 { 0x3E }
    @inline(__always) static var at: UInt8 { 0x40 }
    @inline(__always) static var openBracket: UInt8 { 0x5B }
    @inline(__always) static var backslash: UInt8 { 0x5C }
    @inline(__always) static var closeBracket: UInt8 { 0x5D }
    @inline(__always) static var underscore: UInt8 { 0x5F }

    /// Whitespace Postfix might leave around an argument (it never should, but the fuzzer will).
    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == lineFeed || byte == carriageReturn
    }

    /// The characters that make a local part name another hop: `@`, `%` and `!`.
    @inline(__always)
    static func isRoutingMark(_ byte: UInt8) -> Bool {
        byte == at || byte == percent || byte == bang
    }

    @inline(__always)
    static func isUpper(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }

    @inline(__always)
    static func isLower(_ byte: UInt8) -> Bool { byte &- 0x61 < 26 }

    /// ASCII-only case mapping: non-ASCII bytes pass through, so UTF-8 sequences are never split or altered.
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte | 0x20 : byte }

    @inline(__always)
    static func uppercased(_ byte: UInt8) -> UInt8 { isLower(byte) ? byte & 0xDF : byte }

    /// The value of a hex digit in either case, nil for anything else.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte &- 0x30
        case 0x41...0x46: return byte &- 0x41 &+ 10
        case 0x61...0x66: return byte &- 0x61 &+ 10
        default: return nil
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The bytes in `range`, rebased to start at 0.
    @inline(__always)
    func rebased(_ range: Range<Int>) -> AddressBytes {
        AddressBytes(rebasing: self[range])
    }

    /// Whether the bytes from `index` start with `literal`, ASCII letters compared without case.
    ///
    /// `literal` must be lowercase ASCII; it is a StaticString so matching never allocates.
    func hasPrefix(caseInsensitive literal: StaticString, at index: Int = 0) -> Bool {
        literal.withUTF8Buffer { expected in
            guard index >= 0, count - index >= expected.count else { return false }
            for offset in 0..<expected.count where ASCII.lowercased(self[index + offset]) != expected[offset] {
                return false
            }
            return true
        }
    }

    /// Whether any byte is `@`, `%` or `!`.
    func containsRoutingMark() -> Bool {
        contains(where: ASCII.isRoutingMark)
    }

    /// The bytes as a String; invalid UTF-8 is repaired with U+FFFD rather than rejected.
    @inline(__always)
    func string() -> String {
        String(decoding: self, as: UTF8.self)
    }

    /// The bytes as an ASCII-lowercased String, copying only when there is an uppercase letter to change.
    func lowercasedString() -> String {
        guard contains(where: ASCII.isUpper) else { return string() }
        return String(unsafeUninitializedCapacity: count) { output in
            for index in 0..<count {
                output[index] = ASCII.lowercased(self[index])
            }
            return count
        }
    }
}

extension Array where Element == UInt8 {
    /// The bytes as a String; invalid UTF-8 is repaired with U+FFFD rather than rejected.
    func string() -> String {
        String(decoding: self, as: UTF8.self)
    }
}
