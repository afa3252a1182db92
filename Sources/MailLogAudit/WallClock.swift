/// A log's own local time in seconds (as if it were UTC): traditional syslog lines carry no zone and no year, so
/// `--since` compares wall-clock times rather than instants.
public enum WallClock {
    static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or with `T`; nil when it is none of these.
    public static func parse(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { bytes in
            guard bytes.count >= 10, bytes[4] == 0x2D, bytes[7] == 0x2D,
                  let year = bytes.number(0..<4), let month = bytes.number(5..<7), let day = bytes.number(8..<10),
                  (1...12).contains(month), (1...31).contains(day) else { return nil }
            if bytes.count == 10 { return seconds(year: year, month: month, day: day, hour: 0, minute: 0, second: 0) }
            guard bytes.count == 16 || bytes.count == 19, bytes[10] == 0x20 || bytes[10] == 0x54, bytes[13] == 0x3A,
                  let hour = bytes.number(11..<13), let minute = bytes.number(14..<16), hour < 24, minute < 60 else { return nil }
            var second = 0
            if bytes.count == 19 {
                guard bytes[16] == 0x3A, let s = bytes.number(17..<19), s < 61 else { return nil }
                second = s
            }
            return seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        }
    }
}
