import Foundation

/// A policy-protocol client on a unix socket, as smtpd talks to `policy_socket`: write a request, read the
/// `action=` answer. Reads time out after 10 s (a hang guard, not an assertion on time).
final class PolicySocketClient: @unchecked Sendable {
    // @unchecked: one test task uses a client at a time.
    let fd: Int32
    private var pending: [UInt8] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, connected == 0 else {
            let error = HarnessError("connect to \(path): \(String(cString: strerror(errno)))")
            if fd >= 0 { close(fd) }
            throw error
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `request` and returns the action answered, or nil when RelayGuard closed the connection.
    func ask(_ request: String) throws -> String? {
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw HarnessError("send: \(String(cString: strerror(errno)))")
        }
        return try answer()
    }

    func answer() throws -> String? {
        while true {
            if let end = pending.firstRange(of: [0x0A, 0x0A]) {
                let answer = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                pending.removeSubrange(..<end.upperBound)
                guard answer.hasPrefix("action=") else { throw HarnessError("not a policy answer: \(answer)") }
                return String(answer.dropFirst("action=".count))
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || (count < 0 && errno == ECONNRESET) { return nil }
            guard count > 0 else { throw HarnessError("recv: \(String(cString: strerror(errno)))") }
            pending += chunk[..<count]
        }
    }

    /// A RCPT request as smtpd writes it (the attributes RelayGuard reads).
    static func request(_ recipient: String, client: String = "203.0.113.9") -> String {
        "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=\(client)\nrecipient=\(recipient)\nqueue_id=\nsasl_username=\n\n"
    }
}
