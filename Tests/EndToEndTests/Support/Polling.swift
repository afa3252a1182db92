import Foundation

/// Polls `condition` every `interval` until it returns true; throws a `HarnessError` after `timeout`.
///
/// Used only to wait for the world to reach a state (a port listening, a queue drained), never to assert
/// how long something took.
func waitUntil(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(10),
    interval: Duration = .milliseconds(10),
    condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
        if try await condition() {
            return
        }
        if ContinuousClock.now >= deadline {
            throw HarnessError("timed out after \(timeout) waiting for \(what())")
        }
        try await Task.sleep(for: interval)
    }
}
