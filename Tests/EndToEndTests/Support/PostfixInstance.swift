import Foundation
import Synchronization

/// A private Postfix in a temporary directory, listening on its own loopback port, relaying `corp.example` to its
/// own `SMTPSink`.
///
/// Each instance has its own config, queue, data and log directories, ports and `syslog_name`, so instances run
/// side by side in parallel tests. Prefer `withPostfix`, which always stops the instance; with `start`, the caller
/// owns calling `stop` on every path.
final class PostfixInstance: Sendable {
    /// The port smtpd listens on, at 127.0.0.1.
    let smtpPort: UInt16
    let sink: SMTPSink
    let configDirectory: String
    let queueDirectory: String
    let maillogPath: String
    private let directory: TemporaryDirectory
    private let postfixPath: String
    private let stopped = Mutex(false)

    private init(directory: TemporaryDirectory, sink: SMTPSink, options: PostfixOptions) throws {
        self.directory = directory
        self.sink = sink
        postfixPath = try RequiredTool.postfix.path()
        smtpPort = try FreePort.allocate()
        configDirectory = try directory.subdirectory("etc")
        queueDirectory = try directory.subdirectory("queue")
        let logDirectory = try directory.subdirectory("log")
        maillogPath = logDirectory + "/maillog"
        var pcreTable: String?
        if let pcre = options.recipientAccessPCRE {
            pcreTable = try directory.write(pcre, to: "etc/recipient_access.pcre")
        }
        let layout = PostfixConfigFiles.Layout(
            queueDirectory: queueDirectory,
            dataDirectory: try directory.subdirectory("data", owner: "postfix"),
            logDirectory: logDirectory,
            pcreTable: pcreTable,
            syslogName: "relayguard-e2e-\(smtpPort)",
            smtpdPort: smtpPort,
            sinkPort: sink.port
        )
        let files = PostfixConfigFiles(layout: layout, options: options)
        _ = try directory.write(files.mainCF, to: "etc/main.cf")
        _ = try directory.write(files.masterCF, to: "etc/master.cf")
    }

    /// Writes the configuration, runs `postfix start` and waits until smtpd accepts connections.
    static func start(_ options: PostfixOptions = PostfixOptions()) async throws -> PostfixInstance {
        guard geteuid() == 0 else {
            throw HarnessError("the end-to-end tests start a private Postfix and must run as root")
        }
        if options.recipientAccessPCRE != nil {
            try await requirePCRESupport()
        }
        let directory = try TemporaryDirectory(prefix: "relayguard-e2e")
        let sink: SMTPSink
        do {
            sink = try await SMTPSink(directory: directory)
        } catch {
            directory.remove()
            throw error
        }
        let instance: PostfixInstance
        do {
            instance = try PostfixInstance(directory: directory, sink: sink, options: options)
        } catch {
            await sink.stop()
            directory.remove()
            throw error
        }
        do {
            try await instance.startAndWait()
        } catch {
            await instance.stop()
            throw error
        }
        return instance
    }

    private func startAndWait() async throws {
        // `postfix start` runs Postfix's fatal checks and creates the queue; on a fresh queue directory a separate
        // `postfix check` first would cost another two seconds per instance, so that runs once, in its own test.
        let start = try await postfix("start")
        guard start.exitCode == 0 else {
            throw HarnessError("postfix start failed:\n\(start.summary)\n\(maillog())")
        }
        try await FreePort.waitUntilListening(smtpPort, what: "Postfix smtpd")
    }

    /// `postfix -c DIR check`: Postfix's full consistency check of this instance, warnings included.
    func check() async throws -> CommandResult {
        try await postfix("check")
    }

    /// Stops Postfix and the sink and removes the directory. Safe to call more than once.
    ///
    /// `postfix stop` only signals the master; this waits for the master to exit so the directory can go.
    func stop() async {
        let alreadyStopped = stopped.withLock { value in
            defer { value = true }
            return value
        }
        if alreadyStopped { return }
        let masterPID = masterProcessID()
        _ = try? await postfix("stop")
        if let masterPID {
            try? await waitUntil("the Postfix master (pid \(masterPID)) to exit", timeout: .seconds(5)) {
                !Self.isAlive(masterPID)
            }
        }
        await sink.stop()
        directory.remove()
    }

    /// Waits until every message Postfix accepted has left the queue (delivered to the sink, or bounced).
    /// Throws if a message is deferred: the sink refused it or the configuration sends it somewhere else.
    func waitForQueueToDrain(timeout: Duration = .seconds(10)) async throws {
        let pending = ["maildrop", "incoming", "active"]
        try await waitUntil("the queue in \(queueDirectory) to drain\n\(maillog())", timeout: timeout) {
            pending.allSatisfy { queueFileCount($0) == 0 }
        }
        let deferred = queueFileCount("deferred") + queueFileCount("hold")
        if deferred > 0 {
            throw HarnessError("\(deferred) message(s) deferred or held in \(queueDirectory)\n\(maillog())")
        }
    }

    /// The instance's log so far, for failure messages.
    func maillog() -> String {
        let text = (try? String(contentsOfFile: maillogPath, encoding: .utf8)) ?? "(no maillog at \(maillogPath))"
        return "--- \(maillogPath) ---\n" + text
    }

    private func queueFileCount(_ queue: String) -> Int {
        let path = queueDirectory + "/" + queue
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
        var count = 0
        while let name = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
                count += 1
            }
        }
        return count
    }

    private func postfix(_ command: String) async throws -> CommandResult {
        try await runCommand(postfixPath, ["-c", configDirectory, command], timeout: .seconds(30))
    }

    private func masterProcessID() -> Int32? {
        let path = queueDirectory + "/pid/master.pid"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A zombie counts as gone: where no init reaps the daemonized master, it stays a zombie.
    private static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    private static func requirePCRESupport() async throws {
        let result = try await runCommand(try RequiredTool.postconf.path(), ["-m"])
        guard result.stdout.split(separator: "\n").contains("pcre") else {
            throw HarnessError.missingTool("Postfix pcre map support", package: "postfix-pcre")
        }
    }
}

/// Runs `body` with a started private Postfix and always stops it afterwards, also when `body` throws.
func withPostfix<T: Sendable>(
    _ options: PostfixOptions = PostfixOptions(),
    _ body: (PostfixInstance) async throws -> T
) async throws -> T {
    let postfix = try await PostfixInstance.start(options)
    do {
        let result = try await body(postfix)
        await postfix.stop()
        return result
    } catch {
        await postfix.stop()
        throw error
    }
}
