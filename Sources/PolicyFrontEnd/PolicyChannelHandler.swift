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
    /// How long a new connection may take to complete its first request (`defaultFirstRequestTimeout`).
    public let firstRequestTimeout: TimeAmount
    /// The bad-request error line of all connections together: at most one a second (`PolicyAnswerer`).
    let badRequestLines = LogThrottle()

    /// smtpd writes its first request as soon as it has connected (it connects when a recipient needs a decision),
    /// so 10 s is ample; a connection that is silent longer is not smtpd's and must not hold one of the
    /// `policy_max_connections` places for the whole `policy_timeout`. A constant, not a setting: no Postfix
    /// configuration makes smtpd slower to write.
    public static let defaultFirstRequestTimeout: TimeAmount = .seconds(10)

    public init(store: PolicyStore, logger: Logger, metrics: RelayGuardMetrics, listenerMetrics: PolicyListenerMetrics,
                timeout: TimeAmount, firstRequestTimeout: TimeAmount = defaultFirstRequestTimeout) {
        self.store = store
        self.logger = logger
        self.metrics = metrics
        self.listenerMetrics = listenerMetrics
        self.timeout = timeout
        self.firstRequestTimeout = firstRequestTimeout
    }

    /// The line for the bad requests `badRequestLines` held back after its last line.
    @Sendable func logBadRequestsHeld(_ count: Int) {
        logger.error("frontend=policy: \(count) more bad policy request\(count == 1 ? "" : "s") since the last such line, answered on_error")
    }

    /// Writes the bad requests held back at once: for a stop, when the report scheduled on an event loop would not run.
    public func flushHeldLines() {
        badRequestLines.flush(logBadRequestsHeld)
    }

    /// `330 s` as configured; tests use fractions of a second.
    static func text(_ amount: TimeAmount) -> String {
        amount.nanoseconds % 1_000_000_000 == 0 ? "\(amount.nanoseconds / 1_000_000_000) s" : "\(amount.nanoseconds / 1_000_000) ms"
    }
}

/// One policy delegation connection on NIO: bytes in through `PolicyRequestFramer`, one `action=` answer out per
/// request, translated by `PolicyAnswerer` exactly as `relayguard policy` answers (each request with the snapshot
/// current when it completes).
///
/// Bounds: the framer keeps at most one line and one request's attributes; answers wait in NIO's outbound buffer,
/// and `BackPressureHandler` (in front of this handler) stops reading while that buffer is over its high water mark,
/// so a peer that sends without reading stalls, completes no request, and is closed at `policy_timeout`. A new
/// connection has `firstRequestTimeout` (10 s) for its first request.
///
/// `reportIdle` tells the listener when the connection turns idle (all it sent answered: the time) or busy (a
/// request half read: nil), so that at `policy_max_connections` it can close the longest idle connection instead of
/// refusing a new one.
public final class PolicyChannelHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The most requests framed from one read before their answers are written. smtpd sends one request and waits
    /// for its answer; this only bounds what a peer that pipelines costs at once.
    static let maxRequestsAtOnce = 16

    private let serving: PolicyServing
    private let answerer: PolicyAnswerer
    /// The `session=` of the log lines.
    private let session: UInt64
    private let reportIdle: @Sendable (NIODeadline?) -> Void
    /// Whether the listener was last told the connection is busy.
    private var reportedBusy = false
    /// Whether a request has completed: until then `firstRequestTimeout` applies.
    private var answeredOnce = false
    private var framer = PolicyRequestFramer()
    /// When the connection is closed unless a request completes first.
    private var deadline = NIODeadline.now()
    private var timer: Scheduled<Void>?
    /// SIGTERM: close once no request is half read.
    private var quiescing = false
    /// The peer closed its side: close once what it sent is answered.
    private var inputEnded = false
    /// Bytes read and not yet framed, waiting for earlier answers to be written (`frame`).
    private var unread: ByteBuffer?
    /// An answer write that `unread` waits for is in flight; reading is held meanwhile.
    private var waitingForAnswers = false
    /// A `read` came while `waitingForAnswers`: passed on once the waiting ends.
    private var readHeld = false
    /// Set when this side closes, so that `channelInactive` does not also report the close.
    private var closedByUs = false

    public init(serving: PolicyServing, session: UInt64, reportIdle: @escaping @Sendable (NIODeadline?) -> Void = { _ in }) {
        self.serving = serving
        self.session = session
        self.reportIdle = reportIdle
        answerer = PolicyAnswerer(store: serving.store, logger: serving.logger, metrics: serving.metrics, session: session,
                                  badRequestLines: serving.badRequestLines)
    }

    public func channelActive(context: ChannelHandlerContext) {
        deadline = .now() + min(serving.timeout, serving.firstRequestTimeout)
        armTimer(context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closedByUs else { return }
        var buffer = unwrapInboundIn(data)
        if unread == nil { unread = buffer } else { unread!.writeBuffer(&buffer) }
        if !waitingForAnswers { frame(context: context) }
    }

    /// Frames and answers at most `maxRequestsAtOnce` requests of `unread`. Bytes left over wait, with reading held,
    /// until those answers are written: a peer that pipelines thousands of requests in one read gets them answered a
    /// few at a time, as fast as it reads, instead of megabytes of answers and log lines at once on the event loop.
    private func frame(context: ChannelHandlerContext) {
        guard var buffer = unread else { return }
        unread = nil
        var count = 0
        var malformed = false
        // A bad request's error line held back by the listener's throttle: reported when its second is over.
        var lineHeld = false
        // The answers to the requests of this read, written together; none for a read that completes no request.
        var out = ByteBuffer()
        let consumed = buffer.withUnsafeReadableBytes { bytes in
            framer.feed(bytes, until: { event in
                if case .malformed = event {
                    serving.listenerMetrics.badRequests.increment()
                    malformed = true
                }
                serving.listenerMetrics.requests.increment()
                if count == 0 { out = context.channel.allocator.buffer(capacity: 64) }
                out.writeString(PolicyAnswer.response(answerer.answer(event, lineHeld: &lineHeld)))
                count += 1
                return !malformed && count < Self.maxRequestsAtOnce
            }) - bytes.startIndex
        }
        buffer.moveReaderIndex(forwardBy: consumed)
        if !malformed && buffer.readableBytes > 0 { unread = buffer }
        let busy = isBusy
        if busy != reportedBusy || count > 0 {
            reportedBusy = busy
            reportIdle(busy ? nil : .now())
        }
        guard count > 0 else { return }
        answeredOnce = true
        deadline = .now() + serving.timeout
        if lineHeld {
            serving.badRequestLines.reportHeld(on: context.eventLoop, serving.logBadRequestsHeld)
        }
        if malformed {
            // smtpd never sends a malformed request: the peer is not smtpd, or it speaks another protocol. The request
            // is answered (on_error's answer) and the connection closed, so junk cannot be multiplied into answers
            // and log lines; smtpd, should it ever be the peer, reconnects for its next request.
            context.write(wrapOutboundOut(out), promise: nil)
            closeAfterFlush(context: context)
            return
        }
        guard unread != nil else {
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            if (quiescing || inputEnded) && !busy { closeAfterFlush(context: context) }
            return
        }
        waitingForAnswers = true
        context.writeAndFlush(wrapOutboundOut(out)).assumeIsolated().whenComplete { [self] result in
            waitingForAnswers = false
            guard case .success = result, context.channel.isActive, !closedByUs else { return }
            frame(context: context)
            guard !waitingForAnswers else { return }
            if readHeld {
                readHeld = false
                context.read()
            }
            if inputEnded && !closedByUs {
                // What the peer sent before closing its side is answered now.
                if framer.hasPartialRequest { answerer.peerClosedMidRequest() }
                closeAfterFlush(context: context)
            }
        }
    }

    /// Holds reading while read bytes wait for earlier answers to be written (see `frame`).
    public func read(context: ChannelHandlerContext) {
        if waitingForAnswers { readHeld = true } else { context.read() }
    }

    /// A request half read, or bytes read and not yet framed.
    private var isBusy: Bool { framer.hasPartialRequest || unread != nil }

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
            if !isBusy { closeAfterFlush(context: context) }
        case ChannelEvent.inputClosed:
            // The peer is done sending (with allowRemoteHalfClosure): what it sent is answered, then the connection
            // closes. A request it left unfinished gets no answer.
            inputEnded = true
            guard !waitingForAnswers else { return }
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
            if !answeredOnce && serving.firstRequestTimeout < serving.timeout {
                serving.logger.warning("session=\(session) frontend=policy: no request within \(PolicyServing.text(serving.firstRequestTimeout)) of connecting (\(state)): closing the connection")
            } else {
                serving.logger.warning("session=\(session) frontend=policy: no complete request for \(PolicyServing.text(serving.timeout)) (\(state)): closing the connection (policy_timeout)")
            }
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
