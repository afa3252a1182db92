#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// A system call or libc function at the daemon's edge failed: the one errno-to-error path of `RelayGuardDaemon`.
/// Names the C function, as NIO's `IOError` does, so the admin can look it up; the errno is swift-system's `Errno`,
/// so callers match on it (`error.errno == .interrupted`) rather than on text.
public struct SystemCallError: Error, Equatable, CustomStringConvertible {
    /// The C function that failed: `setuid`, `read`, `pipe`.
    public let operation: String
    public let errno: Errno
    /// What the call was applied to, when that tells the admin more: a path, an account, a descriptor's role.
    public let subject: String?

    public init(_ operation: String, errno: Errno, subject: String? = nil) {
        self.operation = operation
        self.errno = errno
        self.subject = subject
    }

    /// `setgid failed: gid 998 (Operation not permitted)`, or without a subject `getgroups failed: Invalid argument`:
    /// the form of `MilterError` too, so every failed call the admin reads looks alike.
    public var description: String {
        "\(operation) failed: " + (subject.map { "\($0) (\(errno))" } ?? "\(errno)")
    }

    /// Runs `call` (a C function that returns -1 and sets errno on failure), retrying while it is interrupted by a
    /// signal (EINTR), and returns its result or throws the errno it set.
    @discardableResult
    static func check<Result: FixedWidthInteger>(
        _ operation: String, subject: String? = nil, _ call: () -> Result
    ) throws(SystemCallError) -> Result {
        while true {
            let result = call()
            guard result == -1 else { return result }
            let code = Errno(rawValue: Glibc.errno)
            if code == .interrupted { continue }
            throw SystemCallError(operation, errno: code, subject: subject)
        }
    }
}
