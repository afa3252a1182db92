#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// A swift-log backend that writes one line per message, as mail admins read them: to stderr
/// (`2026-11-29T18:00:00Z relayguard[123]: info: message`) or to syslog (`relayguard[123]: message`, with the
/// level as the syslog priority). Metadata is appended as `key=value`.
public struct LineLogHandler: LogHandler {
    public enum Target: Sendable { case stderr, syslog }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let target: Target

    public init(target: Target, level: Logger.Level) {
        self.target = target
        self.logLevel = level
    }

    /// Opens syslog with the identity `relayguard` and the given facility (`mail`, `daemon`, `local0`...).
    public static func openSyslog(facility: String) {
        let facilities: [String: Int32] = [
            "mail": LOG_MAIL, "daemon": LOG_DAEMON, "user": LOG_USER,
            "local0": LOG_LOCAL0, "local1": LOG_LOCAL1, "local2": LOG_LOCAL2, "local3": LOG_LOCAL3,
            "local4": LOG_LOCAL4, "local5": LOG_LOCAL5, "local6": LOG_LOCAL6, "local7": LOG_LOCAL7,
        ]
        openlog(ident, LOG_PID | LOG_NDELAY, facilities[facility] ?? LOG_MAIL)
    }

    /// openlog keeps the pointer, so the identity lives for the life of the process.
    private nonisolated(unsafe) static let ident: UnsafeMutablePointer<CChar> = strdup("relayguard")

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var text = "\(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            text += " \(key)=\(DecisionFormat.quotedIfNeeded("\(value)"))"
        }
        // One record, one line: a recipient can carry CR/LF in hostile input.
        text = String(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
        switch target {
        case .stderr:
            let stamp = Date().formatted(.iso8601)
            // `write(_:)` is `try!` in swift-corelibs-foundation: a full disk or a closed pipe (ENOSPC, EPIPE) on
            // stderr would kill the milter, and Postfix would then tempfail all mail. A log line is dropped instead.
            try? FileHandle.standardError.write(contentsOf: Data("\(stamp) relayguard[\(getpid())]: \(event.level): \(text)\n".utf8))
        case .syslog:
            withVaList([text]) { vsyslog(Self.priority(event.level), "%s", $0) }
        }
    }

    static func priority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: LOG_DEBUG
        case .info: LOG_INFO
        case .notice: LOG_NOTICE
        case .warning: LOG_WARNING
        case .error: LOG_ERR
        case .critical: LOG_CRIT
        }
    }
}
