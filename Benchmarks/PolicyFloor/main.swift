// What SwiftNIO alone costs a policy server here: the protocol's bytes in and out, nothing decided. scripts/bench
// runs it beside RelayGuard's listener and the C server (`policy-nio-floor` in BENCHMARKS.md), so that the gap between
// RelayGuard and C splits into NIO's share and RelayGuard's own (its framer, decision and log line).
//
// The event loops and accept batch of RelayGuard's listener (one loop per core, up to 256 connections a wakeup),
// without its per-connection bookkeeping (back-pressure, idle mark, timeout, metrics). Each request (lines ended by an
// empty line) is answered `action=DUNNO` without reading its attributes, so the load generator counts the refusals
// it expected as wrong answers.
//
// Usage: relayguard-policy-floor unix:PATH (as the C policy servers; an existing file there is replaced)
import NIOCore
import NIOPosix

final class CountRequests: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The last byte read was a newline: one more ends a request.
    private var afterNewline = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Newlines found by memchr, as the C server finds them: the floor must cost what NIO costs, not what a loop
        // over every byte costs.
        var requests = 0
        var afterNewline = self.afterNewline
        unwrapInboundIn(data).withUnsafeReadableBytes { bytes in
            guard var next = bytes.baseAddress else { return }
            let end = next + bytes.count
            while next < end, let found = memchr(next, 0x0A, end - next) {
                let newline = UnsafeRawPointer(found)
                if next == newline && afterNewline { requests += 1; afterNewline = false } else { afterNewline = true }
                next = newline + 1
            }
            if next < end { afterNewline = false }
        }
        self.afterNewline = afterNewline
        guard requests > 0 else { return }
        var answers = context.channel.allocator.buffer(capacity: 14 * requests)
        for _ in 0..<requests { answers.writeStaticString("action=DUNNO\n\n") }
        context.writeAndFlush(wrapOutboundOut(answers), promise: nil)
    }
}

guard CommandLine.arguments.count == 2, CommandLine.arguments[1].hasPrefix("unix:") else {
    print("usage: relayguard-policy-floor unix:PATH")
    exit(64)
}
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let server = try ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.maxMessagesPerRead, value: 256)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CountRequests()) }
    }
    .bind(unixDomainSocketPath: String(CommandLine.arguments[1].dropFirst("unix:".count)), cleanupExistingSocketFile: true)
    .wait()
try server.closeFuture.wait()
