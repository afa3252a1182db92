#if canImport(Glibc)
import Glibc
#endif

/// `journalctl -o export`, read by its own grammar: `NAME=value` lines, or a binary field (a name line, a
/// little-endian 64-bit length, that many bytes, a line break) for values with control characters; an empty line ends
/// an entry. Binary values are skipped by their length, so bytes inside them (a local user's `logger --journald`
/// message holding `\n\nMESSAGE=...`) can never be read as fields of another entry.
enum JournalExport {
    /// Values longer than this are cut (a MESSAGE of Postfix's is a few hundred bytes).
    static let maximumValue = 64 * 1024
    /// A binary field claiming more than this is not export format.
    static let maximumBinary: UInt64 = 1 << 30

    /// Calls `body` with the MESSAGE and `__REALTIME_TIMESTAMP` of every entry whose SYSLOG_IDENTIFIER is Postfix's
    /// (`NAME/DAEMON`) and whose MESSAGE is text. Returns the number of fields read.
    @discardableResult
    static func forEachEntry(_ fd: Int32, initial: [UInt8], _ body: (Bytes, Int?) -> Void) throws(AuditError) -> Int {
        var stream = ByteStream(fd: fd, buffer: initial)
        var fields = 0
        var message: [UInt8]?
        var identifier: [UInt8] = []
        var realtime: Int?
        var binaryMessage = false
        func finish() {
            if let message, !binaryMessage, identifier.contains(0x2F) {
                message.withUnsafeBufferPointer { body($0, realtime) }
            }
            message = nil
            identifier = []
            realtime = nil
            binaryMessage = false
        }
        while let line = try stream.line() {
            if line.isEmpty {
                finish()
                continue
            }
            fields += 1
            if let equals = line.firstIndex(of: 0x3D) {
                let name = line[..<equals], value = Array(line[(equals + 1)...])
                if name.elementsEqual("MESSAGE".utf8) {
                    message = value
                } else if name.elementsEqual("SYSLOG_IDENTIFIER".utf8) {
                    identifier = value
                } else if name.elementsEqual("__REALTIME_TIMESTAMP".utf8) {
                    realtime = value.withUnsafeBufferPointer { $0.number(0..<$0.count) }
                }
            } else {
                guard let sizeBytes = try stream.take(8) else { throw AuditError("journal export: a binary field without its length") }
                let size = sizeBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                guard size <= maximumBinary else { throw AuditError("journal export: a binary field of \(size) bytes") }
                guard try stream.skip(Int(size)), let end = try stream.take(1), end == [0x0A] else {
                    throw AuditError("journal export: a binary field not ended by a line break")
                }
                if line.elementsEqual("MESSAGE".utf8) { binaryMessage = true }
            }
        }
        finish()
        return fields
    }
}

/// A buffered reader over a descriptor, for the export grammar's mix of lines and counted bytes.
private struct ByteStream {
    let fd: Int32
    var buffer: [UInt8]
    var start = 0
    var atEnd = false

    /// Reads more; false at end of file.
    mutating func fill() throws(AuditError) -> Bool {
        guard !atEnd else { return false }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw AuditError("read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                atEnd = true
                return false
            }
            buffer += chunk[..<count]
            return true
        }
    }

    /// The next line without its line break (cut at ``JournalExport/maximumValue``), nil at end of file.
    mutating func line() throws(AuditError) -> [UInt8]? {
        var searchFrom = start
        while true {
            if let newline = buffer[searchFrom...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<min(newline, start + JournalExport.maximumValue)])
                start = newline + 1
                return line
            }
            searchFrom = buffer.count
            if buffer.count - start > JournalExport.maximumValue * 2 {
                // Keep the start, drop the middle of an overlong line.
                buffer.removeSubrange((start + JournalExport.maximumValue)..<buffer.count)
                searchFrom = buffer.count
            }
            let before = buffer.count - start
            guard try fill() else {
                guard before > 0 else { return nil }
                let line = Array(buffer[start...].prefix(JournalExport.maximumValue))
                start = buffer.count
                return line
            }
            searchFrom = start + before
        }
    }

    mutating func take(_ count: Int) throws(AuditError) -> [UInt8]? {
        while buffer.count - start < count {
            guard try fill() else { return nil }
        }
        defer { start += count }
        return Array(buffer[start..<(start + count)])
    }

    /// Skips `count` bytes; false when the file ends first.
    mutating func skip(_ count: Int) throws(AuditError) -> Bool {
        var left = count
        while left > 0 {
            let available = buffer.count - start
            if available >= left {
                start += left
                return true
            }
            left -= available
            start = buffer.count
            guard try fill() else { return false }
        }
        return true
    }
}
