#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a policy connection's bytes into requests: `name=value` lines, each ended by a newline, and an empty line
/// ending the request (SMTPD_POLICY_README).
///
/// Memory is bounded whatever the peer sends: a line is kept up to `maxLineBytes` and the rest of it discarded, a
/// request reads at most `maxAttributes` attribute lines and keeps only the few RelayGuard reads (`PolicyRequest`).
/// A bad line does not end the request: the framer reads on to the
/// empty line and reports the request as malformed there, so that the peer gets exactly one answer per request.
public struct PolicyRequestFramer: Sendable {
    /// What one empty line completes.
    public enum Event: Sendable, Equatable {
        case request(PolicyRequest)
        /// The first thing wrong with the request, and the attributes read before it (for the log and the reply's
        /// recipient).
        case malformed(PolicyRequestError, partial: PolicyRequest)
    }

    /// The longest attribute line kept, newline excluded. Postfix writes a recipient of at most its
    /// `line_length_limit` (2048) after `recipient=`; 8 KiB leaves room for any attribute smtpd sends.
    public static let defaultMaxLineBytes = 8_192
    /// smtpd sends about 30 attributes (Postfix 3.7); 256 leaves room for every future one. Every line counts,
    /// kept (`PolicyRequest.Name`) or not.
    public static let defaultMaxAttributes = 256

    public let maxLineBytes: Int
    public let maxAttributes: Int

    private var line: [UInt8] = []
    private var discardingLine = false
    private var lineNumber = 0
    private var attributes = PolicyRequest()
    private var error: PolicyRequestError?

    public init(maxLineBytes: Int = defaultMaxLineBytes, maxAttributes: Int = defaultMaxAttributes) {
        self.maxLineBytes = maxLineBytes
        self.maxAttributes = maxAttributes
        line.reserveCapacity(256)
    }

    /// True when bytes of an unfinished request were read: a peer that closes now left a request unanswered.
    public var hasPartialRequest: Bool { lineNumber > 0 || !line.isEmpty || discardingLine }

    /// Reads `bytes`, calling `emit` for every request an empty line completes, in order.
    ///
    /// The scan runs over contiguous bytes (`feed(buffer:until:)`): this method is generic and not inlinable, so a
    /// caller in another module would otherwise walk its collection through unspecialised generic calls, byte by byte.
    public mutating func feed(_ bytes: some Collection<UInt8>, _ emit: (Event) -> Void) {
        let scanned: Int? = bytes.withContiguousStorageIfAvailable { feed(buffer: $0, until: { emit($0); return true }) }
        if scanned == nil {
            _ = Array(bytes).withUnsafeBufferPointer { feed(buffer: $0, until: { emit($0); return true }) }
        }
    }

    /// `feed(buffer:until:)` over raw bytes in memory, such as a NIO `ByteBuffer`'s readable bytes.
    @discardableResult
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, until emit: (Event) -> Bool) -> Int {
        bytes.withMemoryRebound(to: UInt8.self) { feed(buffer: $0, until: emit) }
    }

    /// Reads `buffer` until `emit`, called for every request an empty line completes, returns false; returns the
    /// offset where it stopped (`buffer.count` when all was read), so that a caller can bound the requests it frames
    /// at once.
    @discardableResult
    public mutating func feed(buffer: UnsafeBufferPointer<UInt8>, until emit: (Event) -> Bool) -> Int {
        // One check for a whole read, which nearly always is ASCII, instead of one per line: its lines then need no
        // UTF-8 validation.
        let ascii = Self.isASCII(buffer)
        var start = 0
        while start < buffer.count {
            guard let newline = Self.index(of: 0x0A, in: UnsafeBufferPointer(rebasing: buffer[start...])).map({ start + $0 }) else {
                append(UnsafeBufferPointer(rebasing: buffer[start...]))
                return buffer.count
            }
            let ended: Bool
            if line.isEmpty && !discardingLine {
                // The whole line is in `buffer` (the usual case): read in place, not copied.
                ended = endLine(UnsafeBufferPointer(rebasing: buffer[start..<newline]), ascii: ascii)
            } else {
                append(UnsafeBufferPointer(rebasing: buffer[start..<newline]))
                var carried: [UInt8] = []
                swap(&carried, &line)
                ended = carried.withUnsafeBufferPointer { endLine($0, ascii: Self.isASCII($0)) }
                carried.removeAll(keepingCapacity: true)
                swap(&carried, &line)
            }
            start = newline + 1
            if ended, !emit(takeRequest()) { return start }
        }
        return start
    }

    /// Convenience for tests and small inputs: the events `bytes` completes.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [Event] {
        var events: [Event] = []
        feed(bytes) { events.append($0) }
        return events
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !discardingLine, !bytes.isEmpty else { return }
        if line.count + bytes.count > maxLineBytes + 1 {   // + 1: a CR before the newline is not counted
            discardingLine = true
            line.removeAll(keepingCapacity: true)
            return
        }
        line.append(contentsOf: bytes)
    }

    /// Reads one line (its newline excluded): an attribute of the request, or the empty line that ends it (true:
    /// `takeRequest` has the request). A flag, not the event: an event carries the request's attributes, too large
    /// to pass back for every one of smtpd's ~30 lines. `ascii`: the line is known to be ASCII.
    private mutating func endLine(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool) -> Bool {
        var line = bytes
        // A CRLF peer (telnet, a test client): the CR ends the line too.
        if line.last == 0x0D { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        if line.isEmpty && !discardingLine {
            // An empty line: the end of a request, or a stray one between requests (ignored, nothing to answer).
            return lineNumber > 0
        }
        lineNumber += 1
        if discardingLine || line.count > maxLineBytes {
            discardingLine = false
            fail(.lineTooLong(line: lineNumber, limit: maxLineBytes))
            return false
        }
        guard error == nil else { return false }   // the request is answered on_error: what follows is not read
        guard attributes.count < maxAttributes else {
            fail(.tooManyAttributes(limit: maxAttributes))
            return false
        }
        guard let equals = Self.index(of: 0x3D, in: line) else {
            fail(.missingEquals(line: lineNumber))
            return false
        }
        guard equals > 0 else {
            fail(.emptyName(line: lineNumber))
            return false
        }
        attributes.count += 1
        guard let name = PolicyRequest.Name(UnsafeBufferPointer(rebasing: line[..<equals])) else {
            // Not kept, but read as strictly as a kept one: one rule for every line.
            if !ascii && !Self.isUTF8(line) { fail(.notUTF8(line: lineNumber)) }
            return false
        }
        let valueBytes = UnsafeBufferPointer(rebasing: line[(equals + 1)...])
        guard let value = ascii ? String(decoding: valueBytes, as: UTF8.self) : Self.string(valueBytes) else {
            fail(.notUTF8(line: lineNumber))
            return false
        }
        guard attributes[name] == nil else {
            fail(.duplicateAttribute(name: name.rawValue, line: lineNumber))
            return false
        }
        attributes[name] = value
        return false
    }

    /// Whether `bytes` are UTF-8, checked for ASCII first: smtpd's attributes nearly always are, and the
    /// standard library's validation is generic code, not specialised for a caller in another module.
    private static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        isASCII(bytes) || String(validating: bytes, as: UTF8.self) != nil
    }

    /// `bytes` as a string, nil if they are not UTF-8.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isASCII(bytes) ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    /// The offset of the first `byte` in `bytes`, by memchr: every byte of a request is searched for a newline.
    private static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress, let found = memchr(base, Int32(byte), bytes.count) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Eight bytes at a time: the byte loop is not vectorised, and every attribute line passes here.
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = UnsafeRawPointer(bytes.baseAddress) else { return true }
        var high: UInt64 = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            high |= base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            high |= UInt64(bytes[offset])
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// The request an empty line ended, and a fresh one begun.
    private mutating func takeRequest() -> Event {
        let event: Event = if let error { .malformed(error, partial: attributes) } else { .request(attributes) }
        lineNumber = 0
        attributes = PolicyRequest()
        error = nil
        return event
    }

    private mutating func fail(_ problem: PolicyRequestError) {
        if error == nil { error = problem }
    }
}
