import Logging
import RelayGuardCore

/// A `LogHandler` that keeps every message, for tests that read the decision lines. Shared by all threads that log
/// through copies of one `Logger`, hence the lock.
package struct RecordingLogHandler: LogHandler {
    package final class Lines: Sendable {
        // `Locked`, not `Mutex`, so that ThreadSanitizer sees the lock (see `Locked`).
        private let storage = Locked<[String]>([])
        package func append(_ line: String) { storage.withLock { $0.append(line) } }
        package var all: [String] { storage.withLock { $0 } }
    }

    let lines: Lines
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        lines.append("\(event.level): \(event.message)")
    }

    /// A logger writing into a fresh `Lines`.
    package static func logger() -> (Logger, Lines) {
        let lines = Lines()
        return (Logger(label: "relayguard-test") { _ in RecordingLogHandler(lines: lines) }, lines)
    }
}

extension String {
    /// The value of ` key=value` in a decision line (values in these tests have no spaces).
    package func field(_ key: String) -> String? {
        split(separator: " ").first { $0.hasPrefix("\(key)=") }.map { String($0.dropFirst(key.count + 1)) }
    }
}
