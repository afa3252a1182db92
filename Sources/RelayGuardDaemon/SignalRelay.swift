#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The signals `relayguard run` acts on, taken off libmilter's signal thread and handed to the main thread.
///
/// libmilter's signal thread (started by `smfi_main`) sigwaits SIGHUP, SIGTERM and SIGINT, and stops the milter on
/// HUP as on TERM: `smfi_main` returns, and a process that then exits 0 is not restarted by `Restart=on-failure`.
/// A second `sigwait` on HUP would race that thread for each signal. Instead the main thread is the one thread that
/// leaves these signals unblocked, with a handler that writes the signal's number into a pipe; the main thread reads
/// the pipe and acts outside the handler (reload, or `smfi_stop`). For `kill(pid, sig)` Linux first tries the thread
/// whose id is `pid`, the main thread, and wakes it alone when it does not block the signal (`complete_signal` in
/// kernel/signal.c: "try the suggested task first"; long "if the main thread wants the signal, it gets first
/// crack"), so libmilter's thread, asleep in sigwait, is not woken for it. The handler runs with SA_NODEFER and an
/// empty mask so the main thread never blocks them, even while one is being handled. Linux passes over the main
/// thread only while it is off the CPU with a signal already pending; should libmilter's thread take one then, the
/// milter stops without the main thread having asked, and `run` exits non-zero so that systemd restarts it. POSIX
/// promises none of this (any thread that does not block a signal may get it), hence that fallback.
enum SignalRelay {
    /// Signals relayed to the main thread.
    static let signals = [SIGHUP, SIGTERM, SIGINT, SIGUSR1]
    /// Written by the milter thread once `MilterServer.run` has returned; no signal has number 0.
    static let milterReturned: UInt8 = 0
    /// Written by the policy listener when its listening socket closed without a stop; no signal has number 255.
    static let policyListenerClosed: UInt8 = 255

    /// Creates the pipe and installs the handler; the signals must still be blocked in every thread.
    static func install() throws(SystemCallError) {
        var ends: [Int32] = [-1, -1]
        // pipe2 is not in Swift's Glibc module; no other thread exists yet to fork between pipe and fcntl.
        try SystemCallError.check("pipe", subject: "signal relay") { pipe(&ends) }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // Non-blocking writes: a handler must never wait. A full pipe already holds enough work.
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        relayReadEnd = ends[0]
        relayWriteEnd = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = relaySignal
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART | SA_NODEFER
        for signal in signals {
            try SystemCallError.check("sigaction", subject: "signal \(signal)") { sigaction(signal, &action, nil) }
        }
    }

    /// Blocks or unblocks `signals` in the calling thread only.
    static func setBlocked(_ blocked: Bool) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nil)
    }

    /// Tells the main thread that the milter thread is done.
    static func notifyMilterReturned() {
        var byte = milterReturned
        _ = write(relayWriteEnd, &byte, 1)
    }

    /// Tells the main thread that the policy listener stopped accepting on its own.
    static func notifyPolicyListenerClosed() {
        var byte = policyListenerClosed
        _ = write(relayWriteEnd, &byte, 1)
    }

    /// The next signal number, `milterReturned` or `policyListenerClosed`. Blocks; a handler run meanwhile restarts the read (SA_RESTART).
    static func next() -> UInt8 {
        var byte: UInt8 = 0
        while read(relayReadEnd, &byte, 1) != 1 {
            guard errno == EINTR else { return milterReturned }
        }
        return byte
    }
}

// Plain globals written once before the handler is installed, so the handler's first access initialises nothing.
nonisolated(unsafe) private var relayReadEnd: Int32 = -1
nonisolated(unsafe) private var relayWriteEnd: Int32 = -1

/// The signal handler: async-signal-safe, one `write`, errno preserved.
private func relaySignal(_ signal: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(relayWriteEnd, &byte, 1)
    errno = savedErrno
}
