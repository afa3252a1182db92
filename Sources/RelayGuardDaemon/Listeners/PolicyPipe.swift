#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import PolicyFrontEnd

/// `relayguard policy` on NIO: the connection spawn(8) hands over on standard input and output, served by the same
/// `PolicyChannelHandler` as `policy_socket` (framing, `policy_timeout`, back-pressure), through `NIOPipeBootstrap`
/// on one event loop.
enum PolicyPipe {
    /// True when NIO can serve `input` and `output`: pipes and sockets (spawn(8) passes a socket). A regular file
    /// (`relayguard policy < requests`) cannot be polled, and a terminal would be left non-blocking for the shell
    /// after exit; those keep the blocking loop (`PolicyConnection`).
    static func canServe(input: Int32, output: Int32) -> Bool {
        [input, output].allSatisfy { fd in
            var status = stat()
            guard fstat(fd, &status) == 0 else { return false }
            let type = status.st_mode & S_IFMT
            return type == S_IFIFO || type == S_IFSOCK
        }
    }

    /// Serves until the peer closes its side and every answer is written, or `policy_timeout` passes with no
    /// complete request. NIO takes the descriptors over and closes them.
    static func serve(input: Int32, output: Int32, serving: PolicyServing, session: UInt64) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let channel = try NIOPipeBootstrap(group: group)
            // End of input is not the end of the answers: the handler closes once they are written.
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        BackPressureHandler(), PolicyChannelHandler(serving: serving, session: session))
                }
            }
            .takingOwnershipOfDescriptors(input: input, output: output)
            .wait()
        try channel.closeFuture.wait()
    }
}
