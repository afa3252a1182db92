#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A log or report line under construction, as UTF-8 bytes in one growable allocation.
///
/// The decision log builds one per recipient on the RCPT path from about 20 pieces. `[UInt8]`'s
/// `append(contentsOf:)` goes through generic sequence code and a uniqueness check per piece; a `memcpy` into owned
/// storage does neither. Non-copyable, so the storage has exactly one owner and is freed with it.
/// `withScratch` starts it in stack memory, so a line that fits costs no allocation at all.
package struct LineBuffer: ~Copyable {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// False while `storage` is the caller's scratch memory (`withScratch`): never freed here.
    private var ownsStorage: Bool
    package private(set) var count = 0

    package init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
        ownsStorage = true
    }

    private init(scratch: UnsafeMutableBufferPointer<UInt8>) {
        storage = scratch.baseAddress!
        capacity = scratch.count
        ownsStorage = false
    }

    /// Runs `body` with an empty buffer that starts in `capacity` bytes of temporary (stack) memory and moves to the
    /// heap only if the line outgrows them. LineLogHandler builds each record this way (malloc and free are shared by
    /// every logging thread). `body` must not move the buffer out (swap it away): its scratch ends with this call.
    package static func withScratch<Result>(capacity: Int, _ body: (inout LineBuffer) throws -> Result) rethrows -> Result {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(capacity, 16)) { scratch in
            var line = LineBuffer(scratch: scratch)
            return try body(&line)
        }
    }

    deinit {
        if ownsStorage { storage.deallocate() }
    }

    package mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (storage + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    /// The string's UTF-8, read in place (a native or literal string is not copied first).
    package mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }

    /// A literal's UTF-8, straight from the binary (for `String` literals Swift prefers the `String` overload, hence
    /// the label).
    package mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { append($0) }
    }

    /// Appends `count` bytes that `body` writes in place (every one of them).
    package mutating func append(count extra: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        reserve(extra)
        body(storage + count)
        count += extra
    }

    package mutating func appendByte(_ byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count += 1
    }

    package mutating func append(_ number: UInt64) {
        if number >= 10 { append(number / 10) }
        appendByte(0x30 + UInt8(number % 10))
    }

    /// Replaces every `byte` from offset `start` on with `replacement`.
    package mutating func replace(_ byte: UInt8, with replacement: UInt8, from start: Int) {
        var position = start
        while position < count, let found = memchr(storage + position, Int32(byte), count - position) {
            let offset = storage.distance(to: found.assumingMemoryBound(to: UInt8.self))
            storage[offset] = replacement
            position = offset + 1
        }
    }

    /// The bytes so far, valid only inside `body`.
    package func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage, count: count))
    }

    package var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let grown = max(capacity * 2, count + extra)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.moveInitialize(from: storage, count: count)
        if ownsStorage { storage.deallocate() }
        storage = larger
        capacity = grown
        ownsStorage = true
    }
}
