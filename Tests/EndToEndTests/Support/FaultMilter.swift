import Foundation
import Synchronization

/// A `relayguard run` for the fault tests: like `RelayGuardProcess` (runs as `user = nobody`), but it keeps its port
/// and config across restarts, so a test can `kill -9` it and start it again where Postfix expects it, and it keeps
/// the stderr of every run it started.
///
/// The config directory is world-readable: after dropping to `nobody`, a reload must still read the file.
final class FaultMilter: Sendable {
    let port: UInt16
    let configPath: String
    private let directory: TemporaryDirectory
    private let binary: String
    /// Every process started so far, oldest first; the last one is the current run.
    private let runs = Mutex<[ChildProcess]>([])

    /// Writes the config (`socket` and `user = nobody` first, then `settings`) and starts the milter.
    init(settings: [String] = []) async throws {
        binary = try RelayGuardProcess.binaryPath()
        port = try FreePort.allocate()
        directory = try TemporaryDirectory(prefix: "relayguard-e2e-fault")
        configPath = directory.path + "/relayguard.conf"
        do {
            try rewriteConfig(settings)
            try await start()
        } catch {
            await stop()
            throw error
        }
    }

    /// What Postfix needs to call this milter.
    func postfixMilter() -> PostfixOptions.Milter { PostfixOptions.Milter(port: port, defaultAction: "tempfail") }

    /// A path inside the milter's directory (removed with it).
    func path(_ name: String) -> String { directory.path + "/" + name }

    /// Replaces the config file atomically (write and rename), keeping the socket and user lines first.
    func rewriteConfig(_ settings: [String]) throws {
        try writeRaw((header + settings).joined(separator: "\n") + "\n")
    }

    /// Replaces the config file with exactly `text` after the socket and user lines; line 3 is the first of `text`.
    func writeRaw(_ text: String) throws {
        let full = text.hasPrefix(header[0]) ? text : header.joined(separator: "\n") + "\n" + text
        try full.write(toFile: configPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: configPath)
    }

    private var header: [String] { ["socket = inet:\(port)@127.0.0.1", "user = nobody"] }

    /// Starts a new run on the same port and waits until it accepts connections. The previous run must be gone.
    func start() async throws {
        let child = try ChildProcess(binary, ["run", "--config", configPath])
        runs.withLock { $0.append(child) }
        try await FreePort.waitUntilListening(port, what: "relayguard", whileAlive: { child.isRunning })
    }

    private var current: ChildProcess? { runs.withLock { $0.last } }

    var processIdentifier: Int32 { current?.processIdentifier ?? -1 }
    var isRunning: Bool { current?.isRunning ?? false }
    /// The current run's exit status; only meaningful once it has exited.
    var exitCode: Int32 { current?.exitCode ?? -1 }

    /// Sends `signal` to the current run.
    func send(_ signal: Int32) throws {
        guard let current, kill(current.processIdentifier, signal) == 0 else {
            throw HarnessError("kill(\(processIdentifier), \(signal)) failed: errno \(errno)")
        }
    }

    /// `kill -9` and wait until the process is reaped (the kernel has closed its listening socket by then).
    func killHard() async throws {
        try send(SIGKILL)
        guard try await waitForExit(timeout: .seconds(10)) else {
            throw HarnessError("relayguard (pid \(processIdentifier)) survived SIGKILL")
        }
    }

    /// Waits for the current run to exit; false if it still runs after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Bool {
        guard let current else { return true }
        return try await current.waitForExit(timeout: timeout)
    }

    /// stderr of every run so far, in order.
    func log() -> String {
        runs.withLock { $0.map { $0.capturedOutput().stderr }.joined() }
    }

    func logLines(containing text: String) -> [Substring] {
        log().split(separator: "\n").filter { $0.contains(text) }
    }

    /// Waits until more than `after` log lines contain `text`; returns the first new one.
    @discardableResult
    func waitForLogLine(containing text: String, after: Int = 0, timeout: Duration = .seconds(10)) async throws -> Substring {
        do {
            try await waitUntil("relayguard to log \"\(text)\"", timeout: timeout) {
                logLines(containing: text).count > after
            }
        } catch {
            throw HarnessError("\(error)\nlog:\n\(log().suffix(4000))")
        }
        return logLines(containing: text)[after]
    }

    /// `VmRSS` and `VmHWM` (peak) of the current run, in KiB, from /proc/PID/status.
    func memory() -> (rssKiB: Int, peakKiB: Int) {
        let status = (try? String(contentsOfFile: "/proc/\(processIdentifier)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return -1 }
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? -1
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    /// Threads of the current run, from /proc/PID/status.
    func threadCount() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") }
        return line.flatMap { Int($0.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) } ?? -1
    }

    /// Kills the current run (SIGTERM, then SIGKILL) and removes the files. Safe to call more than once.
    func stop() async {
        for child in runs.withLock({ $0 }) {
            await child.stop(grace: .milliseconds(300))
            child.discardOutputFiles()
        }
        directory.remove()
    }
}

/// Runs `body` with a started `FaultMilter` and always stops it afterwards.
func withFaultMilter<T: Sendable>(
    _ settings: [String] = [],
    _ body: (FaultMilter) async throws -> T
) async throws -> T {
    let milter = try await FaultMilter(settings: settings)
    do {
        let result = try await body(milter)
        await milter.stop()
        return result
    } catch {
        print("relayguard log (tail):\n\(milter.log().suffix(3000))")
        await milter.stop()
        throw error
    }
}
