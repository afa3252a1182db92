import Foundation

/// Runs closures on their own `Thread`s (real pthreads, as libmilter's workers are) and waits for all of them.
/// A cooperative-pool task or `concurrentPerform` would cap concurrency at the core count, and on 2 cores the
/// reloader would then never run while the deciders do.
package func runOnThreads(_ bodies: [@Sendable () -> Void]) {
    let group = DispatchGroup()
    for body in bodies {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        thread.start()
    }
    group.wait()
}
