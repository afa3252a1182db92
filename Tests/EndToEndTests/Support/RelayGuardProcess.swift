import Foundation
import Synchronization

/// `relayguard run --config PATH` on a free loopback port: the one way the end-to-end tests start the milter.
///
/// The config file is `socket`, `user = nobody` (unless `settings` has a `user` line), then `settings`, so the first
/// setting is line 3. Port and config stay for the life of the object: after `killHard()`, `start()` runs it again
/// where Postfix expects it, and `log()` keeps the stderr of every run. The directory is world-readable, so a reload
/// after the drop to `nobody` still reads the file.
final class RelayGuardProcess: Sendable {
    /// Fixed once `init` returns; `init` moves to another port when the first one was taken before relayguard bound it.
    var port: UInt16 { portBox.withLock { $0 } }
    private let portBox: Mutex<UInt16>
    let configPath: String
    private let binary: String
    private let directory: TemporaryDirectory
    /// Every process started so far, oldest first; the last one is the current run.
    private let runs = Mutex<[ChildProcess]>([])

    /// Where `relayguard run` also serves Postfix's policy delegation (`policy_socket`).
    enum PolicyListen: Sendable {
        /// A unix socket in a directory of its own, owned by the service account and set-group-ID `postfix`: the
        /// 0660 socket is group postfix, so smtpd can connect, as the package's group relayguard allows it.
        case unix
        /// A loopback port.
        case inet
    }

    /// The `policy_socket` value, nil when the run serves none.
    let policySocket: String?
    /// What `check_policy_service` names to reach the policy socket: `unix:/path` (an absolute path: smtpd runs
    /// unchrooted here) or `inet:127.0.0.1:PORT`.
    let postfixPolicyService: String?

    /// The policy socket's path, when it is a unix socket.
    var policySocketPath: String? {
        policySocket.flatMap { $0.hasPrefix("unix:") ? String($0.dropFirst("unix:".count)) : nil }
    }

    /// Writes the config and starts the milter; returns once it accepts connections.
    ///
    /// - Parameters:
    ///   - settings: relayguard.conf lines other than `socket`, e.g. `["reroute = yes"]`.
    ///   - policy: also serve a policy socket there; `start()` then waits for it too.
    init(settings: [String] = [], policy: PolicyListen? = nil) async throws {
        binary = try Self.binaryPath()
        portBox = Mutex(try FreePort.allocate())
        directory = try TemporaryDirectory(prefix: "relayguard-e2e-milter")
        configPath = directory.path + "/relayguard.conf"
        switch policy {
        case nil:
            policySocket = nil
            postfixPolicyService = nil
        case .unix:
            let socketDirectory = try directory.subdirectory("policy")
            try FileManager.default.setAttributes([.ownerAccountName: "nobody", .groupOwnerAccountName: "postfix"],
                                                  ofItemAtPath: socketDirectory)
            // After the chown: chown clears the set-group-ID bit.
            try FileManager.default.setAttributes([.posixPermissions: 0o2750], ofItemAtPath: socketDirectory)
            policySocket = "unix:\(socketDirectory)/policy.sock"
            postfixPolicyService = "unix:\(socketDirectory)/policy.sock"
        case .inet:
            let port = try FreePort.allocate()
            policySocket = "inet:\(port)@127.0.0.1"
            postfixPolicyService = "inet:127.0.0.1:\(port)"
        }
        // FreePort's port can still be bound by another process before relayguard binds it: then relayguard exits
        // with "Address already in use", and the next attempt takes another port.
        for attempt in 1...3 {
            do {
                try rewriteConfig(settings)
                try await start()
                return
            } catch let error as PortTaken where attempt < 3 {
                print("relayguard: \(error); retrying on another port")
                let next = try FreePort.allocate()
                portBox.withLock { $0 = next }
            } catch {
                await stop()
                throw error
            }
        }
    }

    private struct PortTaken: Error, CustomStringConvertible {
        let port: UInt16
        var description: String { "127.0.0.1:\(port) was taken before relayguard bound it" }
    }

    /// libmilter's socket specification, as miltertest's `sock` variable takes it.
    var socket: String { "inet:\(port)@127.0.0.1" }

    /// What Postfix needs to call this milter.
    func postfixMilter(defaultAction: String = "tempfail") -> PostfixOptions.Milter {
        PostfixOptions.Milter(port: port, defaultAction: defaultAction)
    }

    /// A path inside the milter's directory (removed with it), e.g. for a miltertest go file or an included list.
    func scratchPath(_ name: String) -> String { directory.path + "/" + name }

    /// Replaces the config file atomically (write and rename: a reload reads the old or the new file, never half of
    /// one), keeping the socket line first so a reload never sees a socket change.
    func rewriteConfig(_ settings: [String]) throws {
        // As in production, root hands the milter to an unprivileged user once the socket is open.
        let setsUser = settings.contains { $0.split(separator: "=").first?.trimmingCharacters(in: .whitespaces) == "user" }
        let header = ["socket = \(socket)"] + (setsUser ? [] : ["user = nobody"])
        // Last, so the settings' line numbers are the same with and without it.
        let policy = policySocket.map { ["policy_socket = \($0)"] } ?? []
        try ((header + settings + policy).joined(separator: "\n") + "\n")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: configPath)
    }

    /// Starts a run on the port and waits until it accepts connections and has logged that it listens there (so
    /// the listener is this run's, not another process's on the same port). The previous run must be gone.
    func start() async throws {
        let child = try ChildProcess(binary, ["run", "--config", configPath])
        runs.withLock { $0.append(child) }
        let listening = "listening on \(socket) "
        let policyListening = policySocket.map { "policy service listening on \($0) " }
        do {
            try await waitUntil("relayguard to listen on \(socket)") {
                guard child.isRunning else {
                    let stderr = child.capturedOutput().stderr
                    if stderr.contains("Address already in use") { throw PortTaken(port: port) }
                    throw HarnessError("relayguard exited before listening on \(socket)")
                }
                let stderr = child.capturedOutput().stderr
                return stderr.contains(listening) && FreePort.isListening(port)
                    && policyListening.map { stderr.contains($0) } ?? true
            }
        } catch let error as PortTaken {
            throw error
        } catch {
            let config = (try? String(contentsOfFile: configPath, encoding: .utf8)) ?? ""
            throw HarnessError("\(error)\nconfig \(configPath):\n\(config)\n\(child.output())")
        }
    }

    private var current: ChildProcess? { runs.withLock { $0.last } }

    var processIdentifier: Int32 { current?.processIdentifier ?? -1 }
    var isRunning: Bool { current?.isRunning ?? false }
    /// The current run's exit status; only meaningful once it has exited.
    var exitCode: Int32 { current?.exitCode ?? -1 }

    /// Sends `signal` (SIGUSR1, SIGTERM, SIGINT, SIGKILL) to the current run.
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

    /// stderr of every run so far, in order: startup, decisions, reloads.
    func log() -> String {
        runs.withLock { $0.map { $0.capturedOutput().stderr }.joined() }
    }

    /// A point in the log: `log(since:)` returns only what was written after it.
    struct LogMark: Sendable {
        fileprivate let run: Int
        fileprivate let offset: UInt64
    }

    /// The end of the log as it is now.
    func logMark() -> LogMark {
        runs.withLock { runs in LogMark(run: max(runs.count - 1, 0), offset: runs.last?.stderrSize() ?? 0) }
    }

    /// stderr written after `mark`: what a poll for a new line reads, so its cost does not grow with the log.
    func log(since mark: LogMark) -> String {
        runs.withLock { runs in
            runs.indices.dropFirst(mark.run).map { index in
                runs[index].stderr(from: index == mark.run ? mark.offset : 0)
            }.joined()
        }
    }

    /// Stops every run without waiting out libmilter's ~5 s shutdown (SIGTERM, then SIGKILL after a short grace)
    /// and removes the files. The stop tests signal and wait themselves before calling this. Safe to call twice.
    func stop() async {
        for child in runs.withLock({ $0 }) {
            await child.stop(grace: .milliseconds(300))
            child.discardOutputFiles()
        }
        directory.remove()
    }
}

/// Runs `body` with a started relayguard and always stops it afterwards; on failure prints the end of its log.
func withRelayGuard<T: Sendable>(
    _ settings: [String] = [],
    policy: RelayGuardProcess.PolicyListen? = nil,
    _ body: (RelayGuardProcess) async throws -> T
) async throws -> T {
    let milter = try await RelayGuardProcess(settings: settings, policy: policy)
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
