import Foundation
import Synchronization

/// Loopback TCP ports for the servers a test starts.
///
/// The servers are other programs (Postfix, smtp-sink, relayguard) that bind the port themselves, so a port is
/// chosen, checked free and handed over; someone else can take it in between. The kernel's automatic choice (bind to
/// port 0) comes from the ephemeral range, where every outgoing connection also takes its local port: under the load
/// of the fault tests (thousands of loopback connections) a port picked there and closed was taken again by a
/// connection before the server bound it. So ports are picked at random below the ephemeral range
/// (/proc/sys/net/ipv4/ip_local_port_range), which the kernel never assigns on its own; what is left is another
/// process binding the same port explicitly in that window, and a random pick among some 20,000 ports makes that
/// unlikely for concurrent test runs. Within this process a port is never handed out twice.
enum FreePort {
    private static let handedOut = Mutex<Set<UInt16>>([])

    /// Below the ephemeral range (32768 by default), above the well-known and commonly configured ports.
    static let range: ClosedRange<UInt16> = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let ephemeralLow = text.split(whereSeparator: \.isWhitespace).first.flatMap { UInt16($0) } ?? 32768
        return 10_000...max(ephemeralLow, 12_000) - 1
    }()

    static func allocate() throws -> UInt16 {
        // Not seeded: a fixed sequence would make concurrent test processes pick the same ports.
        for _ in 0..<200 {
            let port = UInt16.random(in: range)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if isBindable(port) {
                return port
            }
        }
        throw HarnessError("could not find an unused loopback port in \(range)")
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

    /// Whether 127.0.0.1:`port` can be bound now (nothing listens there, no connection uses it as its local port).
    private static func isBindable(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
