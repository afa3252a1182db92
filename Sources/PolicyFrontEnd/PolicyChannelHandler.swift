import Logging
import NIOCore
import PolicyDelegation
import RelayGuardCore

/// What every policy connection of one listener shares.
public struct PolicyServing: Sendable {
    public let store: PolicyStore
    public let logger: Logger
    public let metrics: RelayGuardMetrics
    public let listenerMetrics: PolicyListenerMetrics
    /// `policy_timeout`: how long a connection may go without completing a request.
    public let timeout: TimeAmount

    public init(store: PolicyStore, logger: Logger, metrics: RelayGuardMetrics, listenerMetrics: PolicyListenerMetrics,
                timeout: TimeAmount) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.listenerMetrics = listenerMetrics
        self.timeout = timeout
    }

    /// `330 s` as configured; tests use fractions of a second.
    var timeoutText: String {
        timeout.nanoseconds % 1_000_000_000 == 0 ? "\(timeout.nanoseconds / 1_000_000_000) s" : "\(timeout.nanoseconds / 1_000_000) ms"
    }
}

/// One policy delegation connection on NIO: bytes in through `PolicyRequestFramer`, one `action=` answer out per
/// request, translated by `PolicyAnswerer` exactly as `relayguard policy` answers (each request with the snapshot
/// current when it completes).
///
/// Bounds: the framer keeps at most one line and one request's attributes; answers wait in NIO's outbound buffer,
/// and `BackPressureHandler` (in front of this handler) stops reading while that buffer is over its high water mark,
/// so a peer that sends without reading stalls, completes no request, and is closed at `policy_timeout`.
public final class PolicyChannelHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let serving: PolicyServing
    private let answerer: PolicyAnswerer
    /// The `session=` of the log lines.
    private let session: UInt64
    private var framer = PolicyRequestFramer()
    /// Answers to the requests of the current read, written together.
    private var answers = ""
    /// When the connection is closed unless a request completes first.
    private var deadline = NIODeadline.now()
    private var timer: Scheduled<Void>?
    /// SIGTERM: close once no request is half read.
    private var quiescing = false
    /// Set when this side closes, so that `channelInactive` does not also report the close.
    private var closedByUs = false

    public init(serving: PolicyServing, session: UInt64) {
        self.serving = serving
        self.session = session
        answerer = PolicyAnswerer(store: serving.store, logger: serving.logger, metrics: serving.metrics, session: session)
    }

    public func channelActive(context: ChannelHandlerContext) {
        deadline = .now() + serving.timeout
        armTimer(context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in
            framer.feed(bytes) { event in
                if case .malformed = event { serving.listenerMetrics.badRequests.increment() }
                serving.listenerMetrics.requests.increment()
                answers += PolicyAnswer.response(answerer.answer(event))
            }
        }
        guard !answers.isEmpty else { return }
        var out = context.channel.allocator.buffer(capacity: answers.utf8.count)
        out.writeString(answers)
        answers.removeAll(keepingCapacity: true)
        context.write(wrapOutboundOut(out), promise: nil)
        deadline = .now() + serving.timeout
        if quiescing && !framer.hasPartialRequest { closeAfterFlush(context: context) }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if !closedByUs && framer.hasPartialRequest {
            answerer.peerClosedMidRequest()
        }
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            quiescing = true
            // A request half read is answered first; an idle connection has nothing in flight.
            if !framer.hasPartialRequest { closeAfterFlush(context: context) }
        case ChannelEvent.inputClosed:
            // The peer is done sending (with allowRemoteHalfClosure): what it sent is answered, then the connection
            // closes. A request it left unfinished gets no answer.
            if framer.hasPartialRequest { answerer.peerClosedMidRequest() }
            closeAfterFlush(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        serving.logger.warning("session=\(session) frontend=policy: closing the connection: \(error)")
        closedByUs = true
        context.close(promise: nil)
    }

    /// One timer per connection, moved only when it fires: a request completing just pushes `deadline` on.
    private func armTimer(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            guard context.channel.isActive else { return }
            if NIODeadline.now() < deadline { return armTimer(context: context) }
            serving.listenerMetrics.timeouts.increment()
            let state = framer.hasPartialRequest ? "a request left unfinished" : "idle"
            serving.logger.warning("session=\(session) frontend=policy: no complete request for \(serving.timeoutText) (\(state)): closing the connection (policy_timeout)")
            closedByUs = true
            context.close(promise: nil)
        }
    }

    private func closeAfterFlush(context: ChannelHandlerContext) {
        closedByUs = true
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(capacity: 0))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
