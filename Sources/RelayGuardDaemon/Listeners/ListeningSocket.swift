#if canImport(Glibc)
import Glibc
#endif
import RelayGuardConfig
import SystemPackage

/// A listening socket for `policy_socket` or `metrics_listen`, opened by RelayGuard itself (socket, bind, listen)
/// before the privilege drop and handed to NIO as it is (`ServerBootstrap.withBoundSocket`): NIO never resolves the
/// path, so the socket NIO serves is the one bound here, with the owner and mode it was born with.
///
/// A unix socket is bound as the milter's is (`MilterServer.run`): by whoever calls `open`, which `relayguard run`
/// does as the service account (`Privileges.asAccount`), with the umask giving `socket_mode`; nothing changes the
/// path afterwards (no chmod, no chown).
enum ListeningSocket {
    /// Connections the kernel queues before `accept`; smtpd processes connect once and keep the connection.
    static let backlog: Int32 = 128

    /// A listening socket on `address`, close-on-exec, for the config key `key` (named in errors). A stale unix socket
    /// at the path is replaced; any other file there is refused.
    /// - Throws: `ListeningSocketError` naming the key, the system call and the address.
    static func open(_ address: ListenSocket, mode: UInt16, key: String) throws(ListeningSocketError) -> Int32 {
        let context = Context(key: key, address: address)
        return switch address {
        case .unix(let path): try openUnix(path, mode: mode, context)
        case .inet(let port, let host): try openInet(host.isEmpty ? "0.0.0.0" : host, port: port, family: AF_INET, context)
        case .inet6(let port, let host): try openInet(host.isEmpty ? "::" : host, port: port, family: AF_INET6, context)
        }
    }

    /// What the errors name.
    private struct Context {
        let key: String
        let address: ListenSocket

        /// `operation` failed with the current errno (through the edge's one errno path, `SystemCallError`).
        func error(_ operation: String, inDirectory: Bool = false) -> ListeningSocketError {
            let subject: String = switch address {
            case .unix(let path): path
            default: address.description
            }
            return ListeningSocketError(key: key, address: address,
                                        reason: .systemCall(SystemCallError(operation, errno: Errno(rawValue: errno), subject: subject)),
                                        inDirectory: inDirectory)
        }

        /// A refusal that is no system call's failure.
        func refused(_ text: String) -> ListeningSocketError {
            ListeningSocketError(key: key, address: address, reason: .refused(text))
        }
    }

    private static func openUnix(_ path: String, mode: UInt16, _ context: Context) throws(ListeningSocketError) -> Int32 {
        var status = stat()
        // lstat, not stat: a symbolic link at the path is refused by the type check below (it is no socket), never
        // followed to unlink what it points to.
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                throw context.refused("\(path) exists and is not a socket; only a stale socket is replaced there, so "
                    + "remove it or choose another path")
            }
            guard unlink(path) == 0 else { throw context.error("unlink", inDirectory: true) }
        }
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: socketAddress.sun_path) else {
            throw context.refused("the path is longer than a unix socket's")
        }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: bytes) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw context.error("socket") }
        // umask is per process; no other thread creates files while the socket is bound. A socket is created
        // 0777 & ~umask, so this umask gives exactly `mode`.
        let previousMask = umask(mode_t(~mode & 0o777))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindError = context.error("bind", inDirectory: true)
        umask(previousMask)
        guard bound == 0 else {
            close(fd)
            throw bindError
        }
        return try listening(fd, context)
    }

    private static func openInet(_ host: String, port: UInt16, family: Int32, _ context: Context) throws(ListeningSocketError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = family
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let info = list else {
            throw context.refused("getaddrinfo: \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw context.error("socket") }
        var one: Int32 = 1
        // A restart must not wait for the previous process's connections in TIME_WAIT.
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let error = context.error("bind")
            close(fd)
            throw error
        }
        return try listening(fd, context)
    }

    private static func listening(_ fd: Int32, _ context: Context) throws(ListeningSocketError) -> Int32 {
        guard listen(fd, backlog) == 0 else {
            let error = context.error("listen")
            close(fd)
            throw error
        }
        return fd
    }
}

/// Why a listening socket could not be opened: the config key and address, then the failed call or the refusal.
public struct ListeningSocketError: Error, CustomStringConvertible {
    public enum Reason: Sendable {
        case systemCall(SystemCallError)
        case refused(String)
    }

    public let key: String
    public let address: ListenSocket
    public let reason: Reason
    /// The failed call changes the unix socket's directory (unlink of a stale socket, bind): the caller's
    /// permission on the directory is what matters.
    public let inDirectory: Bool

    init(key: String, address: ListenSocket, reason: Reason, inDirectory: Bool = false) {
        self.key = key
        self.address = address
        self.reason = reason
        self.inDirectory = inDirectory
    }

    /// The failed call with its subject and errno, or the refusal.
    public var reasonText: String {
        switch reason {
        case .systemCall(let error): error.description
        case .refused(let text): "\(address): \(text)"
        }
    }

    public var description: String {
        "\(key): \(reasonText)"
    }
}
