import NIOCore
import NIOHTTP1
import Prometheus

/// One metrics connection: answers its first request and closes. `GET /metrics` and `HEAD /metrics` get the
/// registry's exposition (text format 0.0.4), another path 404, another method 405. The whole exchange has
/// `deadline` from accept to the last byte; past it the connection is closed, answered or not.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private let deadline: TimeAmount
    private var timer: Scheduled<Void>?
    private var answered = false

    init(registry: PrometheusCollectorRegistry, deadline: TimeAmount) {
        self.registry = registry
        self.deadline = deadline
    }

    func channelActive(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: deadline) {
            context.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// A request that does not parse: NIO's protocol error handler, before this one, has answered 400; close now
    /// rather than at the deadline.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The answer depends on the head alone; a body, if any, is not read.
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        answered = true
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var headers = HTTPHeaders([("Connection", "close")])
        let status: HTTPResponseStatus
        var body: [UInt8] = []
        switch (head.method, path) {
        case (.GET, "/metrics"), (.HEAD, "/metrics"):
            status = .ok
            body = registry.emitToBuffer()
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        case (.GET, _), (.HEAD, _):
            status = .notFound
            body = Array("not found: metrics are at /metrics\n".utf8)
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        default:
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
        }
        headers.add(name: "Content-Length", value: String(body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD, !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
