#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Metrics
import Prometheus
import RelayGuardConfig
import RelayGuardTestSupport
import Testing

@testable import RelayGuardDaemon

/// `/metrics` on NIO: what each request gets, and the per-connection deadline.
@Suite("metrics_listen: the HTTP endpoint")
struct MetricsServerTests {
    /// A server on a kernel-chosen loopback port with one counter at 3.
    static func start(maxConnections: Int = MetricsServer.defaultMaxConnections) throws -> (server: MetricsServer, port: UInt16) {
        let registry = PrometheusCollectorRegistry()
        Counter(label: "relayguard_test_total", factory: PrometheusMetricsFactory(registry: registry)).increment(by: 3)
        let server = try MetricsServer(address: .inet(port: 0, host: "127.0.0.1"), registry: registry,
                                       maxConnections: maxConnections)
        try server.start()
        return (server, UInt16(try #require(server.port)))
    }

    /// Sends `request` on a fresh connection and reads until the server closes it.
    static func exchange(_ request: String, port: UInt16) throws -> String {
        let client = try PolicyClient(port: port)
        // A connection closed at accept may refuse the request: what matters is that nothing is answered.
        try? client.send(request)
        return String(decoding: try client.readToEnd(), as: UTF8.self)
    }

    @Test("GET /metrics answers the registry's text; HEAD the same head; another path 404; another method 405", arguments: [
        ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", true),
        ("GET /metrics?name[]=x HTTP/1.0\r\n\r\n", "HTTP/1.0 200 OK", true),
        ("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK", false),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found", false),
        ("GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found", false),
        ("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405 Method Not Allowed", false),
        ("NONSENSE\r\n\r\n", "HTTP/1.1 400 Bad Request", false),
    ])
    func answers(request: String, statusLine: String, hasMetrics: Bool) throws {
        let (server, port) = try Self.start()
        defer { server.stop() }
        let response = try Self.exchange(request, port: port)
        #expect(response.hasPrefix(statusLine + "\r\n"), "\(response)")
        #expect(response.contains("relayguard_test_total 3\n") == hasMetrics, "\(response)")
        if statusLine.hasSuffix("200 OK") {
            #expect(response.lowercased().contains("content-type: text/plain; version=0.0.4; charset=utf-8"), "\(response)")
        }
    }

    @Test("a client that never finishes its request is closed at the deadline; a scrape meanwhile is answered")
    func deadline() throws {
        let (server, port) = try Self.start()
        defer { server.stop() }
        let slow = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(slow) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        #expect(withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(slow, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0)
        _ = Array("GET /met".utf8).withUnsafeBytes { send(slow, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        #expect(try Self.exchange("GET /metrics HTTP/1.0\r\n\r\n", port: port).contains("relayguard_test_total 3\n"))
        var timeout = timeval(tv_sec: 10, tv_usec: 0)  // a hang guard; the deadline is 2 s
        setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        #expect(recv(slow, &byte, 1, 0) == 0, "errno \(errno)")
    }

    @Test("connections over the cap are closed at accept without an answer; a freed place serves a scrape again")
    func connectionCap() throws {
        let (server, port) = try Self.start(maxConnections: 4)
        defer { server.stop() }
        let scrape = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
        // Four connections that send nothing hold the places (for the 2 s request deadline, ample here).
        var silent = try (0..<4).map { _ in try PolicyClient(port: port) }
        #expect(try Self.exchange(scrape, port: port) == "")
        silent.removeAll()
        var answered = ""
        // Polled: the server counts the closed connections out on its event loop (a hang guard, not a timing).
        for _ in 0..<1000 where !answered.hasPrefix("HTTP/1.1 200 OK") {
            answered = try Self.exchange(scrape, port: port)
            usleep(10_000)
        }
        #expect(answered.hasPrefix("HTTP/1.1 200 OK"), "\(answered)")
    }
}
