/// A log or report line under construction, as UTF-8 bytes.
struct LineBuffer {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// A copy of the string's contiguous UTF-8 (the generic `append(contentsOf: text.utf8)` cost ~180 instructions a
    /// piece, most lines have 40 pieces).
    mutating func append(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { bytes.append(contentsOf: $0) }
        if copied == nil { bytes.append(contentsOf: text.utf8) }
    }

    mutating func appendByte(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func append(_ number: UInt64) {
        if number >= 10 { append(number / 10) }
        bytes.append(0x30 + UInt8(number % 10))
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}
