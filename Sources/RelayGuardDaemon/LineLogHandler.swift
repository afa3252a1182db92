#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import RelayGuardConfig
import RelayGuardCore

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
        var text = event.message.description
        if !metadata.isEmpty || event.metadata?.isEmpty == false {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                text += " \(key)=\(DecisionFormat.quotedIfNeeded("\(value)"))"
            }
        }
        Self.withRecord(text, level: event.level, target: target) { record in
            switch target {
            case .stderr:
                // One write(2) per line, errors ignored: a full disk or a closed pipe (ENOSPC, EPIPE) drops the line
                // instead of killing the milter (FileHandle.write is `try!` in swift-corelibs-foundation), and
                // FileHandle would copy every line into a Data first, on the RCPT path.
                record.withBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                        if written < 0, errno == EINTR { continue }
                        guard written > 0 else { return }
                        offset += written
                    }
                }
            case .syslog:
                record.appendByte(0)
                record.withBytes { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { text in
                        withVaList([text.baseAddress!]) { vsyslog(Self.priority(event.level), "%s", $0) }
                    }
                }
            }
        }
    }

    /// Runs `body` with what is written for one message, built in stack scratch (see `appendRecord`).
    static func withRecord<Result>(
        _ text: String, level: Logger.Level, target: Target, _ body: (inout LineBuffer) -> Result
    ) -> Result {
        LineBuffer.withScratch(capacity: 512) { line in
            appendRecord(text, level: level, target: target, to: &line)
            return body(&line)
        }
    }

    /// What is written for one message: for stderr `TIMESTAMP relayguard[PID]: LEVEL: TEXT` and a newline, for syslog
    /// the text alone (syslog adds the rest). One record, one line: a recipient can carry CR/LF in hostile input, and
    /// each becomes a space (single UTF-8 bytes, so replacing bytes is exact; memchr finds them, the per-recipient line
    /// is on the RCPT path).
    static func appendRecord(_ text: String, level: Logger.Level, target: Target, to line: inout LineBuffer) {
        if target == .stderr {
            appendTimestamp(time(nil), to: &line)
            line.append(processTag)
            line.append(level.rawValue)
            line.append(literal: ": ")
        }
        let textStart = line.count
        line.append(text)
        line.replace(10, with: 32, from: textStart)
        line.replace(13, with: 32, from: textStart)
        if target == .stderr { line.appendByte(10) }
    }

    /// ` relayguard[PID]: `. The process never forks after start, and glibc's getpid() is a system call: taken once.
    static let processTag = " relayguard[\(getpid())]: "

    /// UTC `second` as `2026-11-29T18:00:00Z` (what `Date().formatted(.iso8601)` prints), appended as bytes. Plain
    /// arithmetic: no lock, no allocation, no libc call, so the threads logging decisions never wait on each other here
    /// (a shared cache would need a lock that every decision line takes). Days to a civil date as in Howard Hinnant's
    /// `civil_from_days`: years of 400 days-cycles, March-based months so February comes last.
    static func appendTimestamp(_ second: Int, to line: inout LineBuffer) {
        let days = second >= 0 ? second / 86_400 : (second - 86_399) / 86_400
        let secondOfDay = second - days * 86_400
        let shifted = days + 719_468                       // days since 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097             // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153     // 0 = March ... 11 = February
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        guard (0...9_999).contains(year) else {
            line.append(String(year) + String(format: "-%02ld-%02ldT%02ld:%02ld:%02ldZ", month, day, secondOfDay / 3_600,
                                              secondOfDay / 60 % 60, secondOfDay % 60))
            return
        }
        // The 20 bytes written in place (one capacity check instead of one per byte).
        line.append(count: 20) { out in
            func two(_ value: Int, at index: Int) {
                out[index] = 0x30 + UInt8(value / 10)
                out[index + 1] = 0x30 + UInt8(value % 10)
            }
            two(year / 100, at: 0)
            two(year % 100, at: 2)
            out[4] = 0x2D
            two(month, at: 5)
            out[7] = 0x2D
            two(day, at: 8)
            out[10] = 0x54
            two(secondOfDay / 3_600, at: 11)
            out[13] = 0x3A
            two(secondOfDay / 60 % 60, at: 14)
            out[16] = 0x3A
            two(secondOfDay % 60, at: 17)
            out[19] = 0x5A
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

extension LineLogHandler {
    /// The logger `log`, `syslog_facility` and `log_level` describe (syslog opened when it is the target), for
    /// `relayguard run` and `relayguard policy`; `forceSyslog` sends the lines to syslog whatever `log` says.
    static func logger(_ daemon: DaemonSettings, forceSyslog: Bool = false) -> Logger {
        let target: Target = daemon.log == .syslog || forceSyslog ? .syslog : .stderr
        if target == .syslog { openSyslog(facility: daemon.syslogFacility) }
        let level = Logger.Level(rawValue: daemon.logLevel.rawValue) ?? .info
        var logger = Logger(label: "relayguard") { _ in LineLogHandler(target: target, level: level) }
        logger.logLevel = level
        return logger
    }
}
