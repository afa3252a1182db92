import Foundation

/// Memory and threads of the current `relayguard` run, from /proc/PID/status (-1 for a figure it cannot read).
extension RelayGuardProcess {
    /// `VmRSS` and `VmHWM` (peak), in KiB.
    func memory() -> (rssKiB: Int, peakKiB: Int) {
        let status = procStatus()
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return -1 }
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? -1
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// `Threads`.
    func threadCount() -> Int {
        let line = procStatus().split(separator: "\n").first { $0.hasPrefix("Threads:") }
        return line.flatMap { Int($0.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) } ?? -1
    }

    private func procStatus() -> String {
        (try? String(contentsOfFile: "/proc/\(processIdentifier)/status", encoding: .utf8)) ?? ""
    }
}
