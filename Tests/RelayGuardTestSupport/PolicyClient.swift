#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A blocking client on a real socket: the policy protocol as smtpd speaks it (requests out, `action=` answers in),
/// or one request read to the end (`readToEnd`: the metrics endpoint's HTTP).
/// Every read has a 10 s timeout, a hang guard only (no test asserts on time). `@unchecked Sendable`: a test hands
/// each client to one thread, which alone uses it.
public final class PolicyClient: @unchecked Sendable {
    public let fd: Int32
    private var pending: [UInt8] = []

    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    public init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try finishConnect(connected, "127.0.0.1:\(port)")
    }

    public init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try finishConnect(connected, path)
    }

    private func finishConnect(_ result: Int32, _ what: String) throws {
        guard fd >= 0, result == 0 else {
            let error = Failure(description: "connect to \(what): \(String(cString: strerror(errno)))")
            if fd >= 0 { Glibc.close(fd) }
            throw error
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
    }

    /// Sends `request` and returns the action answered, or nil when the server closed the connection.
    public func ask(_ request: String) throws -> String? {
        try send(request)
        return try answer()
    }

    /// The next answer's action (`action=VALUE` then an empty line), or nil when the server closed the connection.
    public func answer() throws -> String? {
        while true {
            if let end = pending.firstRange(of: [0x0A, 0x0A]) {
                let answer = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                pending.removeSubrange(..<end.upperBound)
                guard answer.hasPrefix("action=") else { throw Failure(description: "not an answer: \(answer)") }
                return String(answer.dropFirst("action=".count))
            }
            guard try fill() else {
                guard pending.isEmpty else { throw Failure(description: "closed after a partial answer") }
                return nil
            }
        }
    }

    /// Everything the server sends until it closes the connection (end of file or reset): an HTTP response, say.
    public func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { pending.removeAll() }
        return pending
    }

    /// True once the server has closed the connection (end of file or reset), reading and dropping anything before.
    public func waitForClose() throws -> Bool {
        while try fill() { pending.removeAll() }
        return true
    }

    /// Reads more bytes; false at end of file or reset. Throws at the hang guard's timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            pending += chunk[..<count]
            return true
        }
        if count == 0 || errno == ECONNRESET { return false }
        throw Failure(description: "recv: \(String(cString: strerror(errno)))")
    }

    /// A request as smtpd writes it (a subset of its attributes).
    public static func request(_ recipient: String, state: String = "RCPT", client: String = "203.0.113.9", extra: String = "") -> String {
        "request=smtpd_access_policy\nprotocol_state=\(state)\nclient_address=\(client)\nrecipient=\(recipient)\nqueue_id=\nsasl_username=\n\(extra)\n"
    }
}
