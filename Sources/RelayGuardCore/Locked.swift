import Foundation

/// A value behind a pthread mutex (`NSLock`), for state that libmilter's threads and the reloader share.
///
/// Not `Synchronization.Mutex`, on purpose: on Linux its contended path is a PI futex inside the uninstrumented
/// `libswiftSynchronization.so` (`_lockSlow`/`_unlockSlow`, FUTEX_LOCK_PI/FUTEX_UNLOCK_PI: the kernel hands the lock
/// over), so ThreadSanitizer sees no acquire/release there and reports every access the lock protects as a race
/// once two threads contend. `pthread_mutex_lock` is intercepted by TSan, so `swift test --sanitize=thread` checks
/// the real ordering (RELIABILITY.md, Sanitizers). Per-connection use only; the cost does not matter.
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
