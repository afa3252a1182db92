import CMilter

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to set up or run the milter, naming the operation that failed.
public struct MilterError: Error, CustomStringConvertible, Equatable {
    /// The libmilter function (e.g. `smfi_opensocket`) or system call (`chmod`) that failed, or
    /// `configuration` when a value was refused before reaching libmilter.
    public var operation: String
    /// What was being done, e.g. the socket specification, and the OS error when there is one.
    public var detail: String

    /// Creates an error.
    public init(operation: String, detail: String) {
        self.operation = operation
        self.detail = detail
    }

    /// `smfi_opensocket failed: inet:8894@127.0.0.1 (Address already in use)`, or
    /// `invalid milter configuration: ...` for values refused before reaching libmilter.
    public var description: String {
        if operation == "configuration" { return "invalid milter configuration: \(detail)" }
        return detail.isEmpty ? "\(operation) failed" : "\(operation) failed: \(detail)"
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
    _ function: String,
    _ detail: String = "",
    errnoIsMeaningful: Bool = true,
    _ call: () -> Int32
) throws(MilterError) {
    errno = 0
    guard call() == MI_FAILURE else { return }
    let osError = errno
    let reason = errnoIsMeaningful && osError != 0
        ? String(cString: strerror(osError)) : "libmilter logged the reason to syslog"
    throw MilterError(operation: function, detail: detail.isEmpty ? reason : "\(detail) (\(reason))")
}
