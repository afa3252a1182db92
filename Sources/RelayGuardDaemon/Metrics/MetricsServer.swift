#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Metrics
import Prometheus
import RelayGuardConfig

/// Serves the Prometheus registry over HTTP on `metrics_listen`.
///
/// swift-prometheus renders the text format but has no server, and a scrape every few seconds does not justify
/// swift-nio in a milter; so this is a minimal HTTP/1.0 responder on one background thread: read the request head,
/// answer `200` with the registry's exposition for any GET, close. One scrape at a time, each with a deadline for the
/// whole exchange (`requestDeadline`): a per-read timeout let a client sending a byte every 1.5 s hold the only thread
/// for hours while every scrape timed out. Sockets live here because this is the daemon's only listener besides
/// libmilter's.
public final class MetricsServer: Sendable {
    let registry: PrometheusCollectorRegistry
    private let fd: Int32
    private let logger: Logger?
    /// How long one client may take from accept to the last byte of the answer. Prometheus sends its request at once
    /// and scrapes with a 10 s timeout by default; a client that cannot manage in 2 s is dropped.
    static let requestDeadline: Duration = .seconds(2)
    /// The address actually bound (the port is filled in when `metrics_listen` asked for port 0 in tests).
    public let boundDescription: String

    /// Binds and listens; call before dropping privileges. Serving starts with `start()`.
    public init(address: ListenSocket, registry: PrometheusCollectorRegistry, logger: Logger? = nil) throws(MetricsServerError) {
        self.registry = registry
        self.logger = logger
        let (host, port, family): (String, UInt16, Int32)
        switch address {
        case .inet(let p, let h): (host, port, family) = (h.isEmpty ? "0.0.0.0" : h, p, AF_INET)
        case .inet6(let p, let h): (host, port, family) = (h.isEmpty ? "::" : h, p, AF_INET6)
        case .unix: throw MetricsServerError(operation: "metrics_listen", detail: "\(address) is not an inet address")
        }
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let info = list else {
            throw MetricsServerError(operation: "getaddrinfo", detail: "\(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError(operation: "socket", detail: Self.errnoText()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let detail = "\(address) (\(Self.errnoText()))"
            close(fd)
            throw MetricsServerError(operation: "bind", detail: detail)
        }
        guard listen(fd, 16) == 0 else {
            let detail = "\(address) (\(Self.errnoText()))"
            close(fd)
            throw MetricsServerError(operation: "listen", detail: detail)
        }
        self.fd = fd
        boundDescription = family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Serves scrapes on a background thread for the life of the process.
    public func start() {
        let thread = Thread { [self] in serve() }
        thread.name = "relayguard-metrics"
        thread.start()
    }

    /// Accepts for the life of the process. An unexpected `accept` error (EMFILE when descriptors run out, ENOBUFS,
    /// ...) used to end the thread for good; now it is logged and retried after a pause that grows to a second, so
    /// the endpoint comes back once the cause passes.
    private func serve() {
        var failures = 0
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else {
                let code = errno
                if code == EINTR || code == ECONNABORTED { continue }
                failures += 1
                // Logged on the first failure and then every 60th, so a long outage does not flood the log.
                if failures % 60 == 1 {
                    logger?.warning("metrics: accept failed (\(String(cString: strerror(code)))), retrying (failure \(failures))")
                }
                usleep(useconds_t(min(failures, 10) * 100_000))
                continue
            }
            failures = 0
            respond(on: client, deadline: .now + Self.requestDeadline)
            close(client)
        }
    }

    private func respond(on client: Int32, deadline: ContinuousClock.Instant) {
        guard let head = readHead(client, deadline: deadline) else { return }
        let requestLine = head.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        let isGet = requestLine.starts(with: Array("GET ".utf8))
        let isHead = requestLine.starts(with: Array("HEAD ".utf8))
        var response: [UInt8]
        if isGet || isHead {
            let body = registry.emitToBuffer()
            response = Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
            if isGet { response += body }
        } else {
            response = Array("HTTP/1.0 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        }
        var offset = 0
        while offset < response.count {
            guard Self.wait(for: Int16(POLLOUT), on: client, until: deadline) else { return }
            let written = response[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if written < 0, errno == EAGAIN || errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    /// Reads until the blank line that ends the request head; nil at the deadline, on close or an oversized head.
    private func readHead(_ client: Int32, deadline: ContinuousClock.Instant) -> [UInt8]? {
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while head.count < 16384 {
            guard Self.wait(for: Int16(POLLIN), on: client, until: deadline) else { return nil }
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count < 0, errno == EAGAIN || errno == EINTR { continue }
            if count <= 0 { return nil }
            head += chunk[..<count]
            let text = head.suffix(count + 3)
            if text.firstRange(of: Array("\r\n\r\n".utf8)) != nil || text.firstRange(of: Array("\n\n".utf8)) != nil {
                return head
            }
        }
        return nil
    }

    /// Waits until `client` is ready for `events`; false once `deadline` has passed.
    static func wait(for events: Int16, on client: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1
            var entry = pollfd(fd: client, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { return false }
        }
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// Why the metrics listener could not start; names the system call.
public struct MetricsServerError: Error, CustomStringConvertible {
    public let operation: String
    public let detail: String
    public var description: String { "metrics_listen: \(operation): \(detail)" }
}

/// Bootstraps swift-metrics with a Prometheus registry and starts the HTTP listener. Once per process.
public enum MetricsExport {
    public static func start(on address: ListenSocket, logger: Logger? = nil) throws(MetricsServerError) -> MetricsServer {
        let registry = PrometheusCollectorRegistry()
        let server = try MetricsServer(address: address, registry: registry, logger: logger)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return server
    }
}
