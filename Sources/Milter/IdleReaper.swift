#if canImport(Glibc)
import Glibc
#endif

/// Closes milter connections on a TCP listener that have been idle longer than the timeout.
///
/// Debian's libmilter is the worker-pool build: a connection waiting for the MTA's next command sits in the pool's
/// poll set, and `smfi_settimeout` is applied to it only by a sweep every 600 s (`DT_CHECK_OLD_SESSIONS` in
/// libmilter/worker.c); a peer that connects and says nothing is never read, so never times out sooner. Such peers
/// hold descriptors: past `RLIMIT_NOFILE`, `accept` fails with EMFILE, libmilter retries at once (a busy loop)
/// and Postfix's sessions wait in the backlog until `milter_command_timeout`.
///
/// This thread makes the timeout hold: every `interval` it looks at the process's descriptors for TCP connections
/// accepted on the milter's port that are established, have no unread data, and have neither received nor sent data
/// for longer than `timeout` (the kernel's `TCP_INFO`), and shuts them down. libmilter then reads end of file and
/// closes the session itself (its close callback runs, the descriptor is freed by its owner). Each candidate is first
/// duplicated onto a descriptor of our own (`dup2`, which needs no free slot), and judged and shut down through it:
/// should libmilter close the number and reuse it for a new connection meanwhile, what is judged is what is shut down.
/// Unix sockets have no `TCP_INFO`; their peers need the socket's group, and libmilter's sweep closes them.
final class IdleReaper: @unchecked Sendable {
    // @unchecked: immutable after init, used by the one reaper thread.
    let port: UInt16
    let timeoutMilliseconds: UInt32
    let interval: UInt32
    private let scratch: Int32
    private let empty: Int32

    /// nil when the two reserved descriptors cannot be opened.
    init?(port: UInt16, timeout: Int32) {
        self.port = port
        timeoutMilliseconds = UInt32(max(timeout, 1)) * 1000
        interval = UInt32(min(max(timeout / 2, 1), 60))
        scratch = open("/dev/null", O_RDONLY | O_CLOEXEC)
        empty = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard scratch >= 0, empty >= 0 else {
            if scratch >= 0 { close(scratch) }
            if empty >= 0 { close(empty) }
            return nil
        }
    }

    /// Starts the thread, for the life of the process.
    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()  // +1 held by the thread, never released
        if pthread_create(&thread, nil, reaperMain, context) == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<IdleReaper>.fromOpaque(context).release()
        }
    }

    func run() -> Never {
        while true {
            sleep(interval)
            _ = sweep()
        }
    }

    /// One pass over the descriptors; returns how many connections were shut down.
    func sweep() -> Int {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let highest = Int32(clamping: min(limit.rlim_cur, 1 << 20))
        var closed = 0
        for fd in 0..<highest where fd != scratch && fd != empty && isIdlePeer(fd) {
            guard dup2(fd, scratch) == scratch else { continue }
            if isIdlePeer(scratch) {
                shutdown(scratch, Int32(SHUT_RDWR))
                closed += 1
            }
            _ = dup2(empty, scratch)  // drop our reference to the socket
        }
        return closed
    }

    /// An established TCP connection on `port`, nothing unread, idle both ways for longer than the timeout.
    private func isIdlePeer(_ fd: Int32) -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0, value == 0 else { return false }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &length) == 0, value == Int32(IPPROTO_TCP) else { return false }
        var address = sockaddr_storage()
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return false }
        let localPort: UInt16 = withUnsafePointer(to: &address) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            case AF_INET6: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            default: 0
            }
        }
        guard localPort == port else { return false }
        var unread: Int32 = 0
        guard ioctl(fd, UInt(FIONREAD), &unread) == 0, unread == 0 else { return false }
        var info = tcp_info()
        length = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0 else { return false }
        return info.tcpi_state == UInt8(TCP_ESTABLISHED)
            && info.tcpi_last_data_recv > timeoutMilliseconds
            && info.tcpi_last_data_sent > timeoutMilliseconds
    }
}

/// The reaper thread's entry point; the context is an `IdleReaper` retained for it by `start`.
private func reaperMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    Unmanaged<IdleReaper>.fromOpaque(context).takeUnretainedValue().run()
}
