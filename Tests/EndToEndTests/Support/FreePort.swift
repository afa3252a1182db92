import Foundation
import Synchronization

/// Loopback TCP ports for the servers a test starts.
///
/// `allocate()` binds port 0 on 127.0.0.1, reads the port the kernel chose and closes the socket. Between that close
/// and the server's own bind another process could take the port; the window is milliseconds and the kernel does
/// not hand out a just-closed ephemeral port again soon, so the race is accepted. Within this process a port is
/// never handed out twice, so parallel tests cannot collide with each other.
enum FreePort {
    private static let handedOut = Mutex<Set<UInt16>>([])

    static func allocate() throws -> UInt16 {
        for _ in 0..<50 {
            let port = try bindEphemeralPort()
            let isNew = handedOut.withLock { $0.insert(port).inserted }
            if isNew {
                return port
            }
        }
        throw HarnessError("could not find an unused loopback port")
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    static func isListening(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }

    /// Waits until `port` accepts connections. `whileAlive` lets the caller stop early when the server died.
    static func waitUntilListening(
        _ port: UInt16,
        what: String,
        timeout: Duration = .seconds(10),
        whileAlive: () -> Bool = { true }
    ) async throws {
        try await waitUntil("\(what) to listen on 127.0.0.1:\(port)", timeout: timeout) {
            guard whileAlive() else {
                throw HarnessError("\(what) exited before listening on 127.0.0.1:\(port)")
            }
            return isListening(port)
        }
    }

    private static func bindEphemeralPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw HarnessError("bind(127.0.0.1:0) failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw HarnessError("getsockname() failed: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
