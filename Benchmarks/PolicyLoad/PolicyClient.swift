#if canImport(Glibc)
import Glibc
#endif

/// A failed socket call or a protocol error on one policy connection.
struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
    static func errno(_ call: String) -> LoadError { LoadError("\(call): \(String(cString: strerror(Glibc.errno)))") }
}

/// Where the policy server is: a TCP port, a unix socket, or a command that serves one connection on its standard
/// input and output (as Postfix's spawn(8) runs `relayguard policy`), started once per connection.
enum Target {
    case inet(host: String, port: UInt16)
    case unix(path: String)
    case spawn(arguments: [String])
}

/// One smtpd-side policy connection: blocking socket, one write per request, then a read until the answer's empty
/// line (smtpd sends nothing else until it has the answer).
final class PolicyClient {
    private let fd: Int32
    private var child: pid_t = 0
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var start = 0
    private var end = 0

    init(_ target: Target) throws {
        switch target {
        case .inet(let host, let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw LoadError.errno("socket") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                close(fd)
                throw LoadError("bad IPv4 address \(host)")
            }
            try Self.connect(fd, &address, "\(host):\(port)")
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw LoadError.errno("socket") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw LoadError("socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            try Self.connect(fd, &address, path)
        case .spawn(let arguments):
            // Close-on-exec: a child started for another connection must not hold this one open (it would never see
            // end of input, and its connection would never end).
            var pair: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else { throw LoadError.errno("socketpair") }
            fd = pair[0]
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
            posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
            posix_spawn_file_actions_addclose(&actions, pair[0])
            posix_spawn_file_actions_addclose(&actions, pair[1])
            let argv = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            let status = posix_spawn(&child, arguments[0], &actions, nil, argv, environ)
            close(pair[1])
            guard status == 0 else {
                close(fd)
                throw LoadError("posix_spawn \(arguments[0]): \(String(cString: strerror(status)))")
            }
        }
    }

    private static func connect<Address>(_ fd: Int32, _ address: inout Address, _ name: String) throws {
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        guard connected == 0 else {
            let error = LoadError.errno("connect \(name)")
            close(fd)
            throw error
        }
    }

    deinit {
        close(fd)
        if child > 0 {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
    }

    /// Sends one request and returns the answer's `action=` value.
    func ask(_ request: [UInt8]) throws -> Substring {
        var offset = 0
        while offset < request.count {
            let written = request.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw LoadError.errno("write") }
            offset += written
        }
        // The answer: `action=VALUE\n` and an empty line.
        while true {
            if let answer = takeAnswer() { return answer }
            if start > 0 {
                buffer.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: $0.baseAddress! + start, count: end - start) }
                end -= start
                start = 0
            }
            guard end < buffer.count else { throw LoadError("answer longer than \(buffer.count) bytes") }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw count == 0 ? LoadError("the server closed the connection") : LoadError.errno("read") }
            end += count
        }
    }

    private func takeAnswer() -> Substring? {
        let newline = UInt8(ascii: "\n")
        var i = start
        while i + 1 < end {
            if buffer[i] == newline && buffer[i + 1] == newline {
                let text = String(decoding: buffer[start..<i], as: UTF8.self)
                start = i + 2
                let prefix = "action="
                return text.hasPrefix(prefix) ? text.dropFirst(prefix.count) : Substring(text)
            }
            i += 1
        }
        return nil
    }
}
