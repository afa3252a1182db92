import CMilter

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the milter: one libmilter server per process.
public enum MilterServer {
    /// Opens the socket and serves connections until ``stop()`` or a signal stops libmilter. Blocks.
    ///
    /// Order: `smfi_register`, `smfi_setconn`, `smfi_settimeout`/`smfi_setbacklog` when set, then inside
    /// `whileBinding`: the stale-socket check and `smfi_opensocket(true)` (which removes a stale unix socket first)
    /// with the umask set so that a unix socket is born with `socketMode`; then `afterOpen` on the calling thread
    /// (drop privileges there: the socket is already bound), then, for an inet socket with a timeout, the
    /// ``IdleReaper`` thread, then `smfi_main`.
    ///
    /// Nothing here changes a path after the bind: no `chmod`, no `chown`. A unix socket's directory may be writable
    /// by another user (the service account), who could put a symbolic link where the socket was between the bind
    /// and a path-based call, and root would then change the link's target. The mode comes from the umask at bind
    /// time; the owner from whoever binds, which is why `whileBinding` exists: a caller running as root runs the body
    /// with the service account's effective ids, so the socket is created by, and every path in that directory is
    /// resolved as, the account that could have tampered with it anyway.
    ///
    /// Signals: this installs no handler. `smfi_main` starts libmilter's own signal thread, which
    /// stops the milter on SIGHUP/SIGTERM (returning up to ~5 s later) and aborts on SIGINT. The
    /// caller must block SIGHUP, SIGTERM, SIGINT (and SIGUSR1 if it waits for that itself) in the
    /// calling thread *before any other thread starts*, so that no other thread takes these signals
    /// with their default action; libmilter's thread then receives them with sigwait.
    ///
    /// May be called once per process (libmilter keeps global state); a second call throws. If it
    /// throws before `smfi_main`, a unix socket it created is removed again and it may be retried.
    ///
    /// - Parameter whileBinding: runs its argument, the filesystem work on the socket path (check, unlink, bind;
    ///   and removing the socket again should a later step fail), e.g. under another user's effective ids; must
    ///   call it once or throw.
    /// - Throws: ``MilterError`` naming the libmilter function or system call that failed, or
    ///   `configuration` for values refused before reaching libmilter; or what `whileBinding` throws.
    public static func run(
        _ configuration: MilterConfiguration,
        factory: any MilterSessionFactory,
        whileBinding: (() throws -> Void) throws -> Void = { try $0() },
        afterOpen: () throws -> Void = {}
    ) throws {
        let socketPath = configuration.socket.unixPath
        if socketPath?.isEmpty == true {
            throw MilterError(.configuration, detail: "empty socket path in \(configuration.socket)")
        }
        if configuration.socketMode != nil, socketPath == nil {
            throw MilterError(.configuration, detail: "socketMode applies only to unix sockets, not \(configuration.socket)")
        }
        let context = try ServerContext(configuration: configuration, factory: factory)
        try installServerContext(context)

        var opened = false
        do {
            try configuration.name.withCString { name in
                let description = makeFilterDescription(name: UnsafeMutablePointer(mutating: name))
                try milterCall(.register, configuration.name) { smfi_register(description) }
            }
            let connection = configuration.socket.description
            try connection.withCString { socket in
                try milterCall(.setConnection, connection) {
                    smfi_setconn(UnsafeMutablePointer(mutating: socket))
                }
            }
            if let timeout = configuration.timeout {
                try milterCall(.setTimeout, "\(timeout) s") { smfi_settimeout(timeout) }
            }
            if let backlog = configuration.backlog {
                try milterCall(.setBacklog, "\(backlog)") { smfi_setbacklog(backlog) }
            }
            try whileBinding {
                if let socketPath { try refuseNonSocket(at: socketPath, in: configuration.socket) }
                // umask is per process; no other thread creates files while the socket is bound. A socket is created
                // 0777 & ~umask, so this umask gives exactly socketMode (at most 0777, checked by the config).
                let previousMask = configuration.socketMode.map { umask(mode_t(~$0 & 0o777)) }
                defer { if let previousMask { umask(previousMask) } }
                try milterCall(.openSocket, connection) { smfi_opensocket(1) }
                opened = true
            }
            try afterOpen()
            if let timeout = configuration.timeout, let port = configuration.socket.port {
                IdleReaper(port: port, timeout: timeout)?.start()
            }
        } catch {
            // No libmilter thread exists yet, so undoing is safe; libmilter only removes its unix
            // socket at exit after smfi_main, and a stale file would confuse the admin.
            // Through whileBinding too: the directory may be another user's, and root resolves no path there.
            if opened, let socketPath { try? whileBinding { unlink(socketPath) } }
            uninstallServerContext()
            throw error
        }
        try milterCall(.main, errnoIsMeaningful: false) { smfi_main() }
    }

    /// Asks `smfi_main` to return (`smfi_stop`). Safe from any thread, but not from a signal handler
    /// (it takes a mutex). Connections in progress finish; `run` returns within a few seconds.
    public static func stop() {
        _ = smfi_stop()
    }

    /// Refuses a unix socket path that exists as anything but a socket. `smfi_opensocket(1)` removes a stale
    /// socket and refuses any other file too, but says why only to syslog (often absent, or far from the admin);
    /// the refusal belongs in the error the admin reads.
    static func refuseNonSocket(at path: String, in socket: MilterListenAddress) throws(MilterError) {
        var status = stat()
        // stat, not lstat, as libmilter does: a symbolic link to a socket is fine. A path that cannot be
        // stat'ed (absent, or a directory we cannot search) is left to libmilter.
        guard stat(path, &status) == 0 else { return }
        let type = status.st_mode & S_IFMT
        guard type != S_IFSOCK else { return }
        let kind = switch type {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        default: "not a socket"
        }
        throw MilterError(.configuration, detail: "socket \(socket): \(path) exists and is \(kind); only a stale socket is "
            + "replaced there, so remove it or choose another path")
    }
}
