import Foundation

/// A `relayguard run` for the miltertest and reload tests: like `RelayGuardProcess`, plus what those tests need —
/// the process id for signals, rewriting the config file, the exit status, and the decision log parsed.
final class MilterDaemon: Sendable {
    let port: UInt16
    let configPath: String
    private let child: ChildProcess
    private let directory: TemporaryDirectory

    /// libmilter's socket specification, as miltertest's `sock` variable takes it.
    var socket: String { "inet:\(port)@127.0.0.1" }
    var processIdentifier: Int32 { child.processIdentifier }
    var isRunning: Bool { child.isRunning }
    /// Only meaningful once the process has exited.
    var exitCode: Int32 { child.exitCode }

    /// Starts the milter on a free port with `settings` (relayguard.conf lines other than `socket`) and waits until
    /// it accepts connections.
    init(settings: [String] = []) async throws {
        let binary = try RelayGuardProcess.binaryPath()
        port = try FreePort.allocate()
        directory = try TemporaryDirectory(prefix: "relayguard-e2e-miltertest")
        configPath = directory.path + "/relayguard.conf"
        try Self.write(Self.config(port: port, settings), to: configPath)
        do {
            child = try ChildProcess(binary, ["run", "--config", configPath])
        } catch {
            directory.remove()
            throw error
        }
        do {
            try await FreePort.waitUntilListening(port, what: "relayguard", whileAlive: { [child] in child.isRunning })
        } catch {
            let output = child.output()
            await child.stop()
            child.discardOutputFiles()
            directory.remove()
            throw HarnessError("\(error)\nconfig \(configPath):\n\(settings.joined(separator: "\n"))\n\(output)")
        }
    }

    /// A path inside the milter's temporary directory (removed with it), e.g. for a miltertest go file.
    func scratchPath(_ name: String) -> String { directory.path + "/" + name }

    /// Replaces the config file (same socket line first, so a reload never sees a socket change). `rename` makes the
    /// switch atomic: a reload reads the old or the new file, never half of one.
    func rewriteConfig(_ settings: [String]) throws {
        try Self.write(Self.config(port: port, settings), to: configPath)
    }

    /// Sends `signal` (SIGUSR1, SIGTERM, SIGINT) to the milter.
    func send(_ signal: Int32) throws {
        guard kill(child.processIdentifier, signal) == 0 else {
            throw HarnessError("kill(\(child.processIdentifier), \(signal)) failed: errno \(errno)")
        }
    }

    /// Waits for the process to exit; false if it still runs after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Bool {
        try await child.waitForExit(timeout: timeout)
    }

    /// stderr so far: startup, decisions, reloads.
    func log() -> String { child.capturedOutput().stderr }

    /// The log lines containing `text`.
    func logLines(containing text: String) -> [Substring] {
        log().split(separator: "\n").filter { $0.contains(text) }
    }

    /// Every decision line so far, in order.
    func decisions() -> [MilterDecisionLine] {
        log().split(separator: "\n").compactMap(MilterDecisionLine.init)
    }

    /// Waits until the log has a line containing `text`; returns the first such line.
    @discardableResult
    func waitForLogLine(containing text: String, timeout: Duration = .seconds(10)) async throws -> Substring {
        do {
            try await waitUntil("relayguard to log \"\(text)\"", timeout: timeout) {
                guard isRunning || !logLines(containing: text).isEmpty else {
                    throw HarnessError("relayguard exited (status \(exitCode)) before logging \"\(text)\"")
                }
                return !logLines(containing: text).isEmpty
            }
        } catch {
            throw HarnessError("\(error)\nlog:\n\(log())")
        }
        return logLines(containing: text)[0]
    }

    /// Waits until `count` decisions are logged.
    func waitForDecisions(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [MilterDecisionLine] {
        do {
            try await waitUntil("relayguard to log \(count) decisions", timeout: timeout) { decisions().count >= count }
        } catch {
            throw HarnessError("\(error)\nlog:\n\(log())")
        }
        return decisions()
    }

    /// Stops the milter without waiting out libmilter's ~5 s shutdown (SIGTERM, then SIGKILL after a short grace)
    /// and removes its files. The stop tests signal and wait themselves before calling this.
    func stop() async {
        await child.stop(grace: .milliseconds(300))
        child.discardOutputFiles()
        directory.remove()
    }

    private static func config(port: UInt16, _ settings: [String]) -> String {
        // As in production, root hands the milter to an unprivileged user once the socket is open; reloads then
        // read the file as that user.
        (["socket = inet:\(port)@127.0.0.1", "user = nobody"] + settings).joined(separator: "\n") + "\n"
    }

    private static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// Runs `body` with a started milter and always stops it afterwards.
func withMilterDaemon<T: Sendable>(
    _ settings: [String] = [],
    _ body: (MilterDaemon) async throws -> T
) async throws -> T {
    let milter = try await MilterDaemon(settings: settings)
    do {
        let result = try await body(milter)
        await milter.stop()
        return result
    } catch {
        await milter.stop()
        throw error
    }
}
