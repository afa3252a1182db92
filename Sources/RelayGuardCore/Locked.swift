import Foundation

/// A value behind a pthread mutex (`NSLock`), for state shared across threads: libmilter's, the policy listener's
/// event loops, the reloader.
///
/// Not `Synchronization.Mutex`, on purpose: on Linux its contended path is a PI futex inside the uninstrumented
/// `libswiftSynchronization.so` (`_lockSlow`/`_unlockSlow`, FUTEX_LOCK_PI/FUTEX_UNLOCK_PI: the kernel hands the lock
/// over), so ThreadSanitizer sees no acquire/release there and reports every access the lock protects as a race
/// once two threads contend. `pthread_mutex_lock` is intercepted by TSan, so `swift test --sanitize=thread` checks
/// the real ordering (RELIABILITY.md, Sanitizers). Held briefly and never across I/O (a snapshot per policy request,
/// a connection's idle state), so the uncontended lock's cost is what counts, and that is small.
package final class Locked<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `value` is only touched inside `lock`.
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) {
        self.value = value
    }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
