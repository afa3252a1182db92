import Foundation
import Synchronization

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
/// Spawned with posix_spawn rather than Foundation's `Process`: on Linux, `Process` learns of an exit through a
/// socket the child inherits, and a process another thread spawns at the same moment can inherit that socket too
/// (its close list comes from /proc/self/fd, read before the socket existed). The first process then "runs" until
/// the second exits: once, in CI, a pkg-config that had printed everything "did not finish within 30 s" while a
/// relayguard started beside it kept running. Here the child closes every descriptor above 2 in the kernel
/// (closefrom), so it inherits nothing but its three streams, and the exit is seen by waitpid.
final class ChildProcess: Sendable {
    let commandLine: String
    let processIdentifier: Int32
    /// The wait status once reaped; nil while the child runs.
    private let status = Mutex<Int32?>(nil)
    private let stdoutPath: String?
    private let stderrPath: String?

    /// Runs `executable` with stdin on /dev/null. Output goes to temporary files unless `outputFile` names one file
    /// for both streams (then nothing is captured: `/dev/full` is read as endless zeros).
    init(_ executable: String, _ arguments: [String], outputFile: String? = nil) throws {
        commandLine = ([executable] + arguments).joined(separator: " ")
        if outputFile == nil {
            let base = NSTemporaryDirectory() + "relayguard-e2e-\(UUID().uuidString)"
            stdoutPath = base + ".stdout"
            stderrPath = base + ".stderr"
        } else {
            stdoutPath = nil
            stderrPath = nil
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        let streams = [("/dev/null", O_RDONLY), (stdoutPath ?? outputFile!, O_WRONLY | O_CREAT | O_TRUNC),
                       (stderrPath ?? outputFile!, O_WRONLY | O_CREAT | O_TRUNC)]
        for (descriptor, (path, flags)) in streams.enumerated() {
            posix_spawn_file_actions_addopen(&actions, Int32(descriptor), path, flags, 0o600)
        }
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw HarnessError("posix_spawn_file_actions_addclosefrom_np failed") }
        // As Foundation did: a process group of its own (a ^C to `swift test` is not the children's), and no
        // signal blocked in the child whatever the spawning thread blocks.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard error == 0 else {
            throw HarnessError("could not start `\(commandLine)`: \(String(cString: strerror(error)))")
        }
        processIdentifier = pid
    }

    /// glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not declare.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("glibc without posix_spawn_file_actions_addclosefrom_np (2.34 or later is needed)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    deinit {
        // Reap a child that has exited but was never waited for, so that it does not stay a zombie.
        _ = isRunning
    }

    /// False once the child has exited (and been reaped).
    var isRunning: Bool {
        status.withLock { status in
            guard status == nil else { return false }
            var wait: Int32 = 0
            let result = waitpid(processIdentifier, &wait, WNOHANG)
            if result == processIdentifier {
                status = wait
                return false
            }
            return result == 0 || (result == -1 && errno == EINTR)
        }
    }

    /// The exit status, or the signal's number if a signal ended it (as Foundation's `terminationStatus`). Only
    /// meaningful once `isRunning` is false.
    var exitCode: Int32 {
        guard let wait = status.withLock({ $0 }) else { return -1 }
        let signal = wait & 0x7f
        return signal == 0 ? (wait >> 8) & 0xff : signal
    }

    /// The signal that ended the child, nil if it exited (or still runs).
    var terminationSignal: Int32? {
        guard let wait = status.withLock({ $0 }), wait & 0x7f != 0 else { return nil }
        return wait & 0x7f
    }

    /// Waits for the child to exit; returns false if it is still running after `timeout`.
    func waitForExit(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while isRunning {
            if ContinuousClock.now >= deadline {
                return false
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Sends SIGTERM, waits up to `grace`, then SIGKILL. Always returns with the child reaped.
    func stop(grace: Duration = .milliseconds(500)) async {
        guard isRunning else { return }
        _ = Glibc.kill(processIdentifier, SIGTERM)
        if (try? await waitForExit(timeout: grace)) == true {
            return
        }
        kill()
        _ = try? await waitForExit(timeout: .seconds(5))
    }

    func kill() {
        if isRunning {
            _ = Glibc.kill(processIdentifier, SIGKILL)
        }
    }

    func capturedOutput() -> (stdout: String, stderr: String) {
        (Self.read(stdoutPath), Self.read(stderrPath))
    }

    /// The bytes of stderr written so far.
    func stderrSize() -> UInt64 {
        guard let stderrPath else { return 0 }
        return ((try? FileManager.default.attributesOfItem(atPath: stderrPath)[.size]) as? NSNumber)?.uint64Value ?? 0
    }

    /// stderr from byte `offset` on: lets a poll read only what was written since it started, however long the
    /// log has grown (a chatty milter under traffic writes megabytes).
    func stderr(from offset: UInt64) -> String {
        guard let stderrPath, let handle = FileHandle(forReadingAtPath: stderrPath) else { return "" }
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
        for path in [stdoutPath, stderrPath].compactMap({ $0 }) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    private static func read(_ path: String?) -> String {
        guard let path else { return "" }
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
