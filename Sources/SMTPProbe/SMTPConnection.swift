#if canImport(Glibc)
import Glibc
#endif

/// One SMTP reply: its code and text lines (continuation lines joined).
public struct SMTPReply: Sendable, Equatable {
    public var code: Int
    public var lines: [String]
    public var text: String { lines.map { "\(code) \($0)" }.joined(separator: " / ") }
}

/// A blocking SMTP client connection with a deadline on every read and write: a server that stops answering costs
/// at most `timeout`, never a hang.
final class SMTPConnection {
    private let fd: Int32
    private let timeoutMilliseconds: Int32
    private var buffer: [UInt8] = []
    /// The server's address as an SMTP address literal: `[192.0.2.1]`, `[IPv6:2001:db8::1]`.
    let literal: String

    /// Connects to the first address of `host` that answers within `timeout` seconds.
    init(host: String, port: UInt16, timeout: Double) throws(ProbeError) {
        timeoutMilliseconds = Int32(max(1, timeout * 1000))
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw ProbeError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let socketFD = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), info.pointee.ai_protocol)
            guard socketFD >= 0 else { lastError = String(cString: strerror(errno)); continue }
            if Glibc.connect(socketFD, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0, errno != EINPROGRESS {
                lastError = String(cString: strerror(errno))
                close(socketFD)
                continue
            }
            var pollFD = pollfd(fd: socketFD, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pollFD, 1, timeoutMilliseconds)
            var socketError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(socketFD, SOL_SOCKET, SO_ERROR, &socketError, &length)
            guard ready == 1, socketError == 0 else {
                lastError = ready == 0 ? "no answer within \(timeout) s" : String(cString: strerror(socketError == 0 ? errno : socketError))
                close(socketFD)
                continue
            }
            fd = socketFD
            literal = Self.literal(info.pointee.ai_addr, family: info.pointee.ai_family)
            return
        }
        throw ProbeError("cannot connect to \(host) port \(port): \(lastError)")
    }

    deinit { close(fd) }

    private static func literal(_ address: UnsafeMutablePointer<sockaddr>, family: Int32) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if family == AF_INET6 {
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                var bytes = v6.pointee.sin6_addr
                _ = inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count))
            }
            return "[IPv6:\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]"
        }
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
            var bytes = v4.pointee.sin_addr
            _ = inet_ntop(AF_INET, &bytes, &text, socklen_t(text.count))
        }
        return "[\(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]"
    }

    /// Sends `line` and CRLF, then reads the reply, all within one timeout: a server that trickles a byte at a time
    /// cannot stretch a command past it.
    func command(_ line: String) throws(ProbeError) -> SMTPReply {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds))
        try send(line + "\r\n", deadline: deadline)
        return try readReply(after: line, deadline: deadline)
    }

    /// Milliseconds left until `deadline`, for poll; 0 when it has passed.
    private func remaining(_ deadline: ContinuousClock.Instant) -> Int32 {
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1))
    }

    private func send(_ text: String, deadline: ContinuousClock.Instant) throws(ProbeError) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            var pollFD = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&pollFD, 1, remaining(deadline)) == 1 else { throw ProbeError("the server stopped reading") }
            let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ProbeError("the connection was lost: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }

    /// Reads one reply, multi-line (`250-...` then `250 ...`) included, by `deadline` (one timeout from now).
    func readReply(after command: String = "connect", deadline: ContinuousClock.Instant? = nil) throws(ProbeError) -> SMTPReply {
        let deadline = deadline ?? ContinuousClock.now + .milliseconds(Int(timeoutMilliseconds))
        var lines: [String] = []
        while true {
            let line = try readLine(after: command, deadline: deadline)
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code) else {
                throw ProbeError("not an SMTP reply after \(Self.verb(command)): \"\(line.prefix(80))\"")
            }
            lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
            if bytes.count == 3 || bytes[3] == UInt8(ascii: " ") { return SMTPReply(code: code, lines: lines) }
            if lines.count > 100 { throw ProbeError("a reply of more than 100 lines after \(Self.verb(command))") }
        }
    }

    private func readLine(after command: String, deadline: ContinuousClock.Instant) throws(ProbeError) -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if buffer.count > 4096 { throw ProbeError("a reply line longer than 4096 bytes after \(Self.verb(command))") }
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollFD, 1, remaining(deadline))
            if ready == 0 {
                throw ProbeError("no reply within \(Double(timeoutMilliseconds) / 1000) s after \(Self.verb(command))")
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw ProbeError("the connection was lost after \(Self.verb(command)): \(String(cString: strerror(errno)))")
            }
            if count == 0 { throw ProbeError("the server closed the connection after \(Self.verb(command))") }
            buffer += chunk[..<count]
        }
    }

    /// The command's verb for messages (`RCPT TO`, not the whole line).
    private static func verb(_ command: String) -> String {
        if command.hasPrefix("RCPT") { return "RCPT TO" }
        if command.hasPrefix("MAIL") { return "MAIL FROM" }
        return String(command.prefix { $0 != " " && $0 != ":" })
    }
}
