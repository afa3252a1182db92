import Foundation

/// CPU time and memory of another process, from /proc (the milter or policy server under test, given by --pid).
public struct ProcessStats: Sendable {
    public let pid: Int32

    public init(pid: Int32) { self.pid = pid }

    /// utime + stime in seconds (fields 14 and 15 of /proc/PID/stat, after the parenthesised command name).
    public func cpuSeconds() -> Double? {
        guard let stat = read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// A `kB` field of /proc/PID/status, e.g. VmRSS or VmHWM (peak RSS), in kB.
    public func statusKB(_ field: String) -> Int? {
        guard let status = read("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    private func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }
}
