import Foundation

/// Blocking work (socket I/O, waits on a peer) for async tests: the test runner has only a few cooperative threads,
/// and a blocking call made on one holds it for as long as it waits, while other suites' async waits need it.
enum BlockingWork {
    /// Runs blocking socket work on its own thread, so that it never holds one of the test runner's threads.
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
