/// `journalctl -o export`: `KEY=value` lines, an empty line after each entry. Only the fields the audit reads are
/// kept; a field in the binary form (a name line without `=`, then a length) cannot be a Postfix text message and
/// makes the entry be skipped up to its end.
struct JournalExport {
    private var message: [UInt8] = []
    private var identifier: [UInt8] = []
    private var realtime: Int?
    private var skip = false
    private var hasMessage = false

    struct Entry {
        let message: [UInt8]
        let realtime: Int?

        func withMessage(_ body: (Bytes, Int?) -> Void) {
            message.withUnsafeBufferPointer { body($0, realtime) }
        }
    }

    /// Adds one line; returns the entry it ends, if it is an empty line ending a Postfix entry.
    mutating func add(_ line: Bytes) -> Entry? {
        if line.isEmpty { return finish() }
        if line.hasPrefix("MESSAGE=") {
            message = Array(line[8...])
            hasMessage = true
        } else if line.hasPrefix("SYSLOG_IDENTIFIER=") {
            identifier = Array(line[18...])
        } else if line.hasPrefix("__REALTIME_TIMESTAMP=") {
            realtime = line.number(21..<line.count)
        } else if line.find(byte: 0x3D) == nil {
            skip = true
        }
        return nil
    }

    mutating func finish() -> Entry? {
        defer { self = JournalExport() }
        guard hasMessage, !skip, identifier.contains(0x2F) else { return nil }
        return Entry(message: message, realtime: realtime)
    }
}
