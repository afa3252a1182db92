/// One log record taken apart: when, which program, what it said. Ranges index the line it came from.
struct LogRecord {
    var time: Range<Int>
    var program: Range<Int>
    var message: Range<Int>

    /// A syslog line as rsyslog writes it (`Dec  1 21:50:01 host postfix/smtpd[1234]: text`, or with an RFC 3339
    /// timestamp), as `journalctl -o short`/`short-iso` prints it, or as Postfix's own `maillog_file` writes it.
    /// nil for anything else.
    static func parse(_ line: Bytes) -> LogRecord? {
        guard line.count > 20 else { return nil }
        let timeEnd: Int
        if line[0] >= 0x30, line[0] <= 0x39 {
            // 2026-12-01T21:50:01.123456+01:00
            guard line[4] == 0x2D, let space = line.find(byte: 0x20) else { return nil }
            timeEnd = space
        } else {
            // Dec  1 21:50:01 (traditional) or Dec 01 21:50:01 (journalctl, Postfix's maillog_file)
            guard line[3] == 0x20, line[6] == 0x20, line[9] == 0x3A, line[15] == 0x20 else { return nil }
            timeEnd = 15
        }
        guard let hostEnd = line.find(byte: 0x20, from: timeEnd + 1),
              let colon = line.find(": ", from: hostEnd + 1) else { return nil }
        var programEnd = colon
        if programEnd > 0, line[programEnd - 1] == 0x5D, let bracket = line.find(byte: 0x5B, from: hostEnd + 1), bracket < colon {
            programEnd = bracket
        }
        return LogRecord(time: 0..<timeEnd, program: (hostEnd + 1)..<programEnd, message: (colon + 2)..<line.count)
    }

    /// The wall-clock seconds of the timestamp; `currentYear` for a traditional timestamp, which has none (the year
    /// before when that would put the line more than a day in the future).
    static func wallClock(_ line: Bytes, _ time: Range<Int>, currentYear: Int, now: Int) -> Int? {
        let t = time.lowerBound
        if line[t] >= 0x30, line[t] <= 0x39 {
            guard time.count >= 19, let year = line.number(t..<(t + 4)), let month = line.number((t + 5)..<(t + 7)),
                  let day = line.number((t + 8)..<(t + 10)), let hour = line.number((t + 11)..<(t + 13)),
                  let minute = line.number((t + 14)..<(t + 16)), let second = line.number((t + 17)..<(t + 19)) else { return nil }
            return WallClock.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        }
        guard let month = month(line, t) else { return nil }
        let dayStart = line[t + 4] == 0x20 ? t + 5 : t + 4
        guard let day = line.number(dayStart..<(t + 6)), let hour = line.number((t + 7)..<(t + 9)),
              let minute = line.number((t + 10)..<(t + 12)), let second = line.number((t + 13)..<(t + 15)) else { return nil }
        let seconds = WallClock.seconds(year: currentYear, month: month, day: day, hour: hour, minute: minute, second: second)
        if seconds > now + 86_400 {
            return WallClock.seconds(year: currentYear - 1, month: month, day: day, hour: hour, minute: minute, second: second)
        }
        return seconds
    }

    private static let months: [StaticString] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func month(_ line: Bytes, _ at: Int) -> Int? {
        for (index, name) in months.enumerated() where line.hasPrefix(name, at: at) { return index + 1 }
        return nil
    }
}
