import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import PolicyFrontEnd
import Prometheus
import RelayGuardConfig
import RelayGuardCore

/// Serves the Prometheus registry over HTTP on `metrics_listen`, on NIO: `GET /metrics` (or `HEAD`) answers the
/// registry's text, another path 404, another method 405, each connection closed after its answer.
///
/// The socket is bound by `init` (before the privilege drop, like every listener) and served from `start` on one
/// event loop of its own. Each connection has `requestDeadline` from accept to the end of its answer: a client that
/// trickles its request is cut there, and it holds nothing another scrape needs.
public final class MetricsServer: Sendable {
    let registry: PrometheusCollectorRegistry
    private let descriptor: Int32
    private let logger: Logger?
    /// Prometheus sends its request at once and scrapes with a 10 s timeout by default; a client that cannot manage
    /// in 2 s is dropped.
    static let requestDeadline: TimeAmount = .seconds(2)
    /// Connections served at once; more are closed at accept. A Prometheus server or two scrape one connection at a
    /// time; the cap keeps anyone who reaches the port from holding descriptors the policy listener needs.
    public static let defaultMaxConnections = 16
    private let maxConnections: Int
    /// The address `metrics_listen` names.
    public let boundDescription: String
    private let running = Locked<(group: MultiThreadedEventLoopGroup, channel: any Channel)?>(nil)

    /// Binds and listens; call before dropping privileges. Serving starts with `start()`.
    public init(address: ListenSocket, registry: PrometheusCollectorRegistry, logger: Logger? = nil,
                maxConnections: Int = defaultMaxConnections) throws(MetricsServerError) {
        self.registry = registry
        self.logger = logger
        self.maxConnections = maxConnections
        guard !address.isUnix else {
            throw .notInet(address)
        }
        do {
            descriptor = try ListeningSocket.open(address, mode: 0o660, key: "metrics_listen")
        } catch {
            throw .socket(error)
        }
        boundDescription = switch address {
        case .inet(let port, let host): "\(host.isEmpty ? "0.0.0.0" : host):\(port)"
        case .inet6(let port, let host): "[\(host.isEmpty ? "::" : host)]:\(port)"
        case .unix(let path): path
        }
    }

    /// Serves scrapes on an event loop of its own for the life of the process (or until `stop`).
    public func start() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let registry = registry
        let logger = logger
        let maxConnections = maxConnections
        let open = Locked(0)
        let refusals = LogThrottle()
        @Sendable func logRefusals(_ count: Int) {
            logger?.warning("metrics: \(maxConnections) connections open: closed \(count) new connection\(count == 1 ? "" : "s") at accept")
        }
        do {
            let channel = try ServerBootstrap(group: group)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            AcceptErrorLogger(logger: logger, label: "metrics_listen", refusal: MetricsConnectionRefused.self))
                    }
                }
                .childChannelInitializer { channel in
                    let accepted = open.withLock { open in
                        guard open < maxConnections else { return false }
                        open += 1
                        return true
                    }
                    guard accepted else {
                        refusals.count(on: channel.eventLoop, logRefusals)
                        // A failed initializer makes ServerBootstrap close the accepted socket before registering it.
                        return channel.eventLoop.makeFailedFuture(MetricsConnectionRefused())
                    }
                    channel.closeFuture.whenComplete { _ in open.withLock { $0 -= 1 } }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(
                            MetricsHTTPHandler(registry: registry, deadline: Self.requestDeadline))
                    }
                }
                .withBoundSocket(descriptor)
                .wait()
            running.withLock { $0 = (group, channel) }
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Closes the listener and ends its event loop (tests; the daemon serves until it exits).
    public func stop() {
        guard let (group, channel) = running.withLock({ state in defer { state = nil }; return state }) else { return }
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// The port actually bound (for tests that ask for port 0).
    var port: Int? { running.withLock { $0?.channel.localAddress?.port } }
}

/// The initializer's refusal; it never leaves ServerBootstrap.
struct MetricsConnectionRefused: Error {}

/// Why the metrics listener could not start.
public enum MetricsServerError: Error, CustomStringConvertible {
    /// `metrics_listen` named a unix socket.
    case notInet(ListenSocket)
    /// Opening the socket failed: the system call, its errno and the address.
    case socket(ListeningSocketError)

    public var description: String {
        switch self {
        case .notInet(let address): "metrics_listen: \(address) is not an inet address"
        case .socket(let error): error.description
        }
    }
}

/// Bootstraps swift-metrics with a Prometheus registry and binds the HTTP listener. Once per process.
public enum MetricsExport {
    public static func start(on address: ListenSocket, logger: Logger? = nil) throws(MetricsServerError) -> MetricsServer {
        let registry = PrometheusCollectorRegistry()
        let server = try MetricsServer(address: address, registry: registry, logger: logger)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return server
    }
}
