import Foundation

/// A minimal SMTP client that sends commands byte for byte as given.
///
/// swaks splits `--to` on commas and quotes what it sends, so it cannot send a source route (`<@a,@b:x@y>`), a
/// doubled bracket or a bare address as written. This client writes each command line exactly and reads the reply;
/// it is blocking, for a handful of commands per test.
final class RawSMTPSession {
    private let socket: Int32
    private var buffer: [UInt8] = []
    /// Every command sent and reply read, for failure messages.
    private(set) var transcript: [String] = []

    /// Connects to 127.0.0.1:`port` and reads the greeting.
    init(port: UInt16, timeout: Int = 20) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw HarnessError("connect to 127.0.0.1:\(port): errno \(errno)")
        }
        let greeting = try readReply()
        guard greeting.code == 220 else { throw HarnessError("SMTP greeting \(greeting)") }
    }

    deinit { close(socket) }

    /// Sends `line` plus CRLF and returns the (possibly multi-line) reply.
    @discardableResult
    func send(_ line: String) throws -> SMTPReply {
        transcript.append("-> " + line)
        let bytes = Array((line + "\r\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("send failed (errno \(errno)) after:\n\(transcriptText)") }
            sent += n
        }
        return try readReply()
    }

    var transcriptText: String { transcript.joined(separator: "\n") }

    private func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw HarnessError("connection closed or timed out (errno \(errno)) after:\n\(transcriptText)") }
            buffer += chunk[..<n]
        }
    }

    private func readReply() throws -> SMTPReply {
        var lines: [String] = []
        while true {
            let line = try readLine()
            transcript.append("<- " + line)
            guard line.count >= 3, let code = Int(line.prefix(3)) else {
                throw HarnessError("not an SMTP reply: \(line)\n\(transcriptText)")
            }
            lines.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] != "-" {
                return SMTPReply(code: code, text: lines.joined(separator: "\n"))
            }
        }
    }
}
