import Logging
import NIOCore
import NIOPosix
import PolicyFrontEnd
import RelayGuardConfig
import RelayGuardCore
import Synchronization

/// `policy_socket` in `relayguard run`: Postfix's policy delegation served on NIO, beside the milter or alone.
///
/// The socket is opened by `ListeningSocket` (before the privilege drop) and handed over already bound; NIO owns and
/// closes it from then on. Each accepted connection gets `BackPressureHandler` and a `PolicyChannelHandler`.
public final class PolicyListener: Sendable {
    /// The event loops: one per core, as many as can run a decision at once.
    private let group: MultiThreadedEventLoopGroup
    private let serverChannel: any Channel
    private let state: Locked<Connections>
    private let logger: Logger
    /// Writes the throttled lines' held-back counts at once (`stop`: the reports scheduled on the loops would not run).
    private let flushHeldLines: @Sendable () -> Void
    /// What `policy_socket` named, for the log lines.
    public let address: ListenSocket

    /// The connections open now, by id, for `policy_max_connections` and for quiescing them at stop.
    struct Connections {
        var open: [UInt64: Connection] = [:]
        /// The next connection's `session=`.
        var nextSession: UInt64 = 1
        /// Set by `beginStop`: a connection the server channel accepted just before closing is not served.
        var stopping = false
        /// Set by `stop`: a second call returns at once (the event loops are gone, nothing would complete).
        var stopped = false

        /// The connection to close for a new one at the limit: the one idle longest, if any is idle.
        mutating func takeLongestIdle() -> (any Channel)? {
            var longest: (session: UInt64, since: NIODeadline)?
            for (session, connection) in open {
                guard let since = connection.idle.since else { continue }
                if longest.map({ since < $0.since }) ?? true { longest = (session, since) }
            }
            guard let longest else { return nil }
            return open.removeValue(forKey: longest.session)?.channel
        }
    }

    struct Connection {
        let channel: any Channel
        let idle: IdleMark
    }

    /// When a connection last had all it sent answered (or connected), or that a request is half read. Its event loop
    /// sets it after every read that completes a request, and the listener reads it only at the limit: an atomic, so
    /// that answering a request takes no lock shared with the other connections.
    final class IdleMark: Sendable {
        /// `NIODeadline.uptimeNanoseconds`; `busy` while a request is half read.
        private let value: Atomic<UInt64>
        private static let busy = UInt64.max

        init(_ since: NIODeadline) { value = Atomic(since.uptimeNanoseconds) }

        var since: NIODeadline? {
            let nanoseconds = value.load(ordering: .relaxed)
            return nanoseconds == Self.busy ? nil : .uptimeNanoseconds(nanoseconds)
        }

        func set(_ since: NIODeadline?) { value.store(since?.uptimeNanoseconds ?? Self.busy, ordering: .relaxed) }
    }

    /// Serves the listening socket `descriptor` (from `ListeningSocket.open`) until `stop`. `onClosed` is called
    /// (on an event loop) if the listening socket closes before `beginStop`: an `accept` error NIO does not retry
    /// ends it, and a policy service that no longer accepts must not go on looking alive.
    init(descriptor: Int32, address: ListenSocket, serving: PolicyServing, maxConnections: Int,
         threads: Int = System.coreCount, onClosed: @escaping @Sendable () -> Void = {}) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let state = Locked(Connections())
        let logger = serving.logger
        let refusals = LogThrottle(), evictions = LogThrottle()
        @Sendable func logRefusals(_ count: Int) {
            logger.warning("policy_max_connections (\(maxConnections)) reached and every connection is in the middle of a request: closed \(count) new connection\(count == 1 ? "" : "s") at accept")
        }
        @Sendable func logEvictions(_ count: Int) {
            logger.notice("policy_max_connections (\(maxConnections)) reached: closed \(count) idle connection\(count == 1 ? "" : "s") (the longest idle) for new ones")
        }
        do {
            serverChannel = try ServerBootstrap(group: group)
                // Accept up to twice the backlog at each wakeup, not NIO's default of 4: when many smtpd processes
                // connect at once (a restart, a burst of mail), the last ones would wait behind dozens of event loop
                // turns with their first request already sent.
                .serverChannelOption(ChannelOptions.maxMessagesPerRead, value: UInt(ListeningSocket.backlog) * 2)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            AcceptErrorLogger(logger: logger, label: "policy_socket \(address)", refusal: PolicyConnectionRefused.self))
                    }
                }
                .childChannelInitializer { channel in
                    // At the limit the longest idle connection makes room: smtpd, which writes its request as soon as
                    // it connects, must not be locked out by connections that send nothing. Only when every
                    // connection is in the middle of a request is the new one refused. Should the idle one's peer
                    // write a request just as it is closed, smtpd's policy client retries once on a new connection.
                    let idle = IdleMark(.now())
                    let (session, evicted, stopping): (UInt64?, (any Channel)?, Bool) = state.withLock { connections in
                        guard !connections.stopping else { return (nil, nil, true) }
                        var evicted: (any Channel)?
                        if connections.open.count >= maxConnections {
                            evicted = connections.takeLongestIdle()
                            guard evicted != nil else { return (nil, nil, false) }
                        }
                        let session = connections.nextSession
                        connections.nextSession += 1
                        connections.open[session] = Connection(channel: channel, idle: idle)
                        return (session, evicted, false)
                    }
                    // Accepted as the listener closed: not served, and no refusal at the limit.
                    if stopping { return channel.eventLoop.makeFailedFuture(PolicyConnectionRefused()) }
                    guard let session else {
                        serving.listenerMetrics.refused.increment()
                        refusals.count(on: channel.eventLoop, logRefusals)
                        // A failed initializer makes ServerBootstrap close the accepted socket before registering it.
                        return channel.eventLoop.makeFailedFuture(PolicyConnectionRefused())
                    }
                    if let evicted {
                        evicted.close(promise: nil)
                        serving.listenerMetrics.evicted.increment()
                        evictions.count(on: channel.eventLoop, logEvictions)
                    }
                    serving.listenerMetrics.accepted.increment()
                    serving.listenerMetrics.open.increment()
                    channel.closeFuture.whenComplete { _ in
                        state.withLock { _ = $0.open.removeValue(forKey: session) }
                        serving.listenerMetrics.open.decrement()
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers(
                            BackPressureHandler(),
                            PolicyChannelHandler(serving: serving, session: session, reportIdle: idle.set))
                    }
                }
                .withBoundSocket(descriptor)
                .wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        serverChannel.closeFuture.whenComplete { _ in
            guard !state.withLock({ $0.stopping }) else { return }
            logger.error("policy_socket \(address): the listener closed while relayguard was not stopping: exiting so that it is restarted")
            onClosed()
        }
        self.group = group
        self.state = state
        self.logger = logger
        flushHeldLines = {
            refusals.flush(logRefusals)
            evictions.flush(logEvictions)
            serving.flushHeldLines()
        }
        self.address = address
    }

    /// Opens `address` as the calling user and serves it. For tests: `relayguard run` opens the socket before the
    /// privilege drop (`Daemon.openPolicySocket`, a unix one as the service account) and serves the descriptor.
    convenience init(address: ListenSocket, socketMode: UInt16, serving: PolicyServing, maxConnections: Int,
                     onClosed: @escaping @Sendable () -> Void = {}) throws {
        try self.init(descriptor: ListeningSocket.open(address, mode: socketMode, key: "policy_socket"), address: address, serving: serving,
                      maxConnections: maxConnections, onClosed: onClosed)
    }

    /// The address the kernel bound (the port when `policy_socket` asked for port 0, in tests).
    public var localAddress: SocketAddress? { serverChannel.localAddress }

    /// Connections open now.
    var openConnections: Int { state.withLock { $0.open.count } }

    /// Stops accepting and asks every connection to close once it has answered the request it is reading (an idle
    /// one closes at once). Returns at once; `stop` waits.
    public func beginStop() {
        let open = state.withLock { connections in
            connections.stopping = true
            return connections.open.values.map(\.channel)
        }
        serverChannel.close(promise: nil)
        for channel in open { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }

    /// `beginStop`, then waits up to `grace` for the connections to close, closes what is left, writes the throttled
    /// log lines' held-back counts and ends the event loops. Blocks: call it off the event loops. A second call
    /// returns at once. A unix socket is left at its path, as a stale one (the next start replaces it): a path-based
    /// unlink could remove the socket of a newer process bound there meanwhile.
    public func stop(grace: TimeAmount = .seconds(5)) {
        guard state.withLock({ connections in
            defer { connections.stopped = true }
            return !connections.stopped
        }) else { return }
        beginStop()
        try? serverChannel.closeFuture.wait()
        let open = state.withLock { $0.open.values.map(\.channel) }
        let deadline = NIODeadline.now() + grace
        for channel in open {
            let timeout = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
            try? channel.closeFuture.wait()
            timeout.cancel()
        }
        flushHeldLines()
        try? group.syncShutdownGracefully()
    }
}

/// The initializer's refusal; it never leaves ServerBootstrap.
struct PolicyConnectionRefused: Error {}
