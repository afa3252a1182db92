import Foundation

/// What a finished command printed and how it ended.
struct CommandResult: Sendable {
    let command: String
    let exitCode: Int32
    let stdout: String
    let stderr: String

    /// The command line, exit status and output, for failure messages.
    var summary: String {
        "`\(command)` exited \(exitCode)\nstdout:\n\(stdout)\nstderr:\n\(stderr)"
    }
}

/// Runs `executable` to completion and captures its output; kills it and throws after `timeout`.
///
/// Output goes to temporary files rather than pipes, so a chatty child can never block on a full pipe
/// while we wait for it to exit.
func runCommand(
    _ executable: String,
    _ arguments: [String],
    timeout: Duration = .seconds(30)
) async throws -> CommandResult {
    let child = try ChildProcess(executable, arguments)
    let exited = try await child.waitForExit(timeout: timeout)
    if !exited {
        child.kill()
        _ = try? await child.waitForExit(timeout: .seconds(5))
        throw HarnessError("`\(child.commandLine)` did not finish within \(timeout)\n\(child.output())")
    }
    let (stdout, stderr) = child.capturedOutput()
    child.discardOutputFiles()
    return CommandResult(command: child.commandLine, exitCode: child.exitCode, stdout: stdout, stderr: stderr)
}

/// A child process whose stdout and stderr are captured to files, for long-running helpers
/// (smtp-sink, the relayguard milter) as well as short commands.
///
/// `@unchecked Sendable`: the wrapped `Process` is only started in `init`; afterwards it is only
/// queried (`isRunning`, `terminationStatus`) and signalled, which Foundation allows from any thread.
final class ChildProcess: @unchecked Sendable {
    let commandLine: String
    let processIdentifier: Int32
    private let process: Process
    private let stdoutPath: String
    private let stderrPath: String

    init(_ executable: String, _ arguments: [String]) throws {
        commandLine = ([executable] + arguments).joined(separator: " ")
        let base = NSTemporaryDirectory() + "relayguard-e2e-\(UUID().uuidString)"
        stdoutPath = base + ".stdout"
        stderrPath = base + ".stderr"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        do {
            try process.run()
        } catch {
            throw HarnessError("could not start `\(commandLine)`: \(error)")
        }
        processIdentifier = process.processIdentifier
    }

    var isRunning: Bool { process.isRunning }

    /// Only meaningful once `isRunning` is false.
    var exitCode: Int32 { process.terminationStatus }

    /// Waits for the child to exit; returns false if it is still running after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                return false
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL. Always returns with the child reaped.
    func stop(grace: Duration = .milliseconds(500)) async {
        guard process.isRunning else { return }
        process.terminate()
        if (try? await waitForExit(timeout: grace)) == true {
            return
        }
        kill()
        _ = try? await waitForExit(timeout: .seconds(5))
    }

    func kill() {
        if process.isRunning {
            _ = Glibc.kill(processIdentifier, SIGKILL)
        }
    }

    func capturedOutput() -> (stdout: String, stderr: String) {
        (Self.read(stdoutPath), Self.read(stderrPath))
    }

    /// The bytes of stderr written so far.
    func stderrSize() -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: stderrPath)[.size]) as? NSNumber)?.uint64Value ?? 0
    }

    /// stderr from byte `offset` on: lets a poll read only what was written since it started, however long the
    /// log has grown (a chatty milter under traffic writes megabytes).
    func stderr(from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: stderrPath) else { return "" }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd() else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Both streams, labelled, for failure messages.
    func output() -> String {
        let (stdout, stderr) = capturedOutput()
        return "stdout of `\(commandLine)`:\n\(stdout)\nstderr:\n\(stderr)"
    }

    func discardOutputFiles() {
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    private static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
