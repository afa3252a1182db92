#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor line by line in large blocks and hands each line to a closure as bytes, without the line
/// break: no String and no allocation per line, so the audit's speed is the speed of its scan.
struct LineReader {
    /// Lines longer than this are cut here (the rest of the line is skipped): a log line is a few hundred bytes, and a
    /// line without end must not grow the buffer without bound.
    static let maximumLine = 64 * 1024
    private static let blockSize = 1 << 20

    /// Calls `body` with every line of `initial` followed by `fd`, until end of file. Throws the errno of a failed
    /// read. `initial` holds bytes already read from `fd` (to tell its format), at most a few.
    static func forEachLine(_ fd: Int32, initial: [UInt8] = [], _ body: (UnsafeBufferPointer<UInt8>) -> Void) throws(AuditError) {
        let capacity = blockSize + maximumLine
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = min(initial.count, capacity)
        initial.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: filled) }
        var skippingLongLine = false
        var atEnd = false
        while !atEnd {
            let count = read(fd, buffer + filled, capacity - filled)
            if count < 0 {
                if errno == EINTR { continue }
                throw AuditError("read failed: \(String(cString: strerror(errno)))")
            }
            atEnd = count == 0
            filled += count
            var start = 0
            while start < filled,
                  let newline = memchr(buffer + start, 0x0A, filled - start)?.assumingMemoryBound(to: UInt8.self) {
                let end = newline - buffer
                if !skippingLongLine {
                    var length = end - start
                    if length > 0, buffer[start + length - 1] == 0x0D { length -= 1 }
                    body(UnsafeBufferPointer(start: buffer + start, count: length))
                }
                skippingLongLine = false
                start = end + 1
            }
            let rest = filled - start
            if atEnd {
                // The last line, without a line break.
                if rest > 0, !skippingLongLine { body(UnsafeBufferPointer(start: buffer + start, count: rest)) }
            } else if rest >= maximumLine {
                // A line longer than the limit: hand over its start once, skip the rest up to its line break.
                if !skippingLongLine { body(UnsafeBufferPointer(start: buffer + start, count: maximumLine)) }
                skippingLongLine = true
                filled = 0
            } else {
                if start > 0, rest > 0 { memmove(buffer, buffer + start, rest) }
                filled = rest
            }
        }
    }
}

/// Why an audit could not read its input.
public struct AuditError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
