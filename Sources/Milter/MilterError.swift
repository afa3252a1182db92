import CMilter
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to set up or run the milter, naming the libmilter function that failed.
public struct MilterError: Error, CustomStringConvertible, Equatable {
    /// What failed: a libmilter function, or a value refused before reaching libmilter.
    public enum Operation: String, Sendable, Equatable {
        case register = "smfi_register"
        case setConnection = "smfi_setconn"
        case setTimeout = "smfi_settimeout"
        case setBacklog = "smfi_setbacklog"
        case openSocket = "smfi_opensocket"
        case main = "smfi_main"
        /// A configuration value refused before reaching libmilter (or a second `MilterServer.run` in one process).
        case configuration
    }

    public var operation: Operation
    /// What was being done, e.g. the socket address.
    public var detail: String
    /// The OS error libmilter left, when it is known to come from this call.
    public var errno: Errno?

    /// Creates an error.
    public init(_ operation: Operation, detail: String, errno: Errno? = nil) {
        self.operation = operation
        self.detail = detail
        self.errno = errno
    }

    /// `smfi_opensocket failed: inet:8894@127.0.0.1 (Address already in use)`, `smfi_main failed (libmilter logged
    /// the reason to syslog)`, or `invalid milter configuration: ...` for values refused before reaching libmilter.
    public var description: String {
        if operation == .configuration { return "invalid milter configuration: \(detail)" }
        let reason = errno?.description ?? "libmilter logged the reason to syslog"
        return detail.isEmpty ? "\(operation.rawValue) failed (\(reason))" : "\(operation.rawValue) failed: \(detail) (\(reason))"
    }
}

/// The single place where libmilter's MI_SUCCESS/MI_FAILURE become Swift errors.
///
/// libmilter logs the precise reason to syslog and often leaves errno set (bind, listen); errno is
/// cleared first so that a value in the message comes from this call and not from an older one.
/// Without errno (e.g. "is not a UNIX domain socket", a malformed address) the message points to syslog.
/// `smfi_main` runs for hours and passes through many system calls, so its errno means nothing:
/// callers say so with `errnoIsMeaningful: false`.
func milterCall(
    _ function: MilterError.Operation,
    _ detail: String = "",
    errnoIsMeaningful: Bool = true,
    _ call: () -> Int32
) throws(MilterError) {
    errno = 0
    guard call() == MI_FAILURE else { return }
    let osError = errno
    throw MilterError(function, detail: detail, errno: errnoIsMeaningful && osError != 0 ? Errno(rawValue: osError) : nil)
}
