#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore

/// Logs what goes wrong on a listening socket, for `policy_socket` and `metrics_listen` alike, saying whether the
/// listener goes on.
///
/// NIO retries `accept` after ECONNABORTED, EMFILE, ENFILE, ENOBUFS and ENOMEM (`ServerSocketChannel`'s
/// `shouldCloseOnReadError`), and its `AcceptBackoffHandler` pauses accepting for a second after the last four, so
/// this logs those at most about once a second. Any other error closes the server channel: the owner watches its
/// `closeFuture` (`PolicyListener`'s `onClosed`).
final class AcceptErrorLogger: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    private let logger: Logger?
    /// What the lines start with: `policy_socket inet:...`, `metrics_listen ...`.
    private let label: String
    /// The initializer's own refusal of a connection over the limit, not an error to log.
    private let refusal: any Error.Type

    init(logger: Logger?, label: String, refusal: any Error.Type) {
        self.logger = logger
        self.label = label
        self.refusal = refusal
    }

    /// True for the `accept` errors after which NIO keeps the listener open.
    static func isRetried(_ error: any Error) -> Bool {
        guard let error = error as? IOError else { return false }
        return [ECONNABORTED, EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if type(of: error) != refusal {
            if Self.isRetried(error) {
                logger?.warning("\(label): \(error); accepting again shortly")
            } else {
                logger?.error("\(label): \(error); the listener is closed")
            }
        }
        context.fireErrorCaught(error)
    }
}
