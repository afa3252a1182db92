import Foundation

/// Memory, threads and connections of the current `relayguard` run, from /proc/PID/status (-1 for a figure it cannot read).
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

    /// The connections to the milter port that the milter has not closed yet (server side ESTABLISHED or CLOSE_WAIT,
    /// from /proc/net/tcp and tcp6): a test waits on it until the sessions its peers ended are gone on the milter's
    /// side too.
    func openMilterConnections() -> Int {
        let hexPort = String(format: ":%04X", port)
        var count = 0
        for table in ["/proc/\(processIdentifier)/net/tcp", "/proc/\(processIdentifier)/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl local_address rem_address st; st 01 is ESTABLISHED, 08 CLOSE_WAIT (the peer closed, the milter not).
                guard fields.count > 3, fields[1].hasSuffix(hexPort), fields[3] == "01" || fields[3] == "08" else { continue }
                count += 1
            }
        }
        return count
    }

    private func procStatus() -> String {
        (try? String(contentsOfFile: "/proc/\(processIdentifier)/status", encoding: .utf8)) ?? ""
    }
}
