import Foundation

/// What `mt.getreply` must return for a recipient. A reject or tempfail with RelayGuard's own reply text shows as
/// `replycode`; the text itself is only visible in the decision log.
enum MilterReplyCode: String, Sendable {
    case `continue`, replycode, reject, tempfail
}

/// One SMTP connection with one transaction, as `miltertest/transaction.lua` plays it to the milter.
struct MilterTransaction: Sendable {
    /// The address in `mt.conninfo` (libmilter's connect sockaddr): IPv4, IPv6, or `unspec` for none at all.
    var socketAddress: String
    /// Postfix's `{client_addr}` connect macro; nil: not sent (the milter must fall back to the socket address).
    var clientAddr: String?
    /// Postfix's `{daemon_addr}` connect macro; nil: not sent.
    var daemonAddr: String?
    /// Postfix's `{auth_authen}` MAIL macro; nil: not sent, "" sent empty.
    var auth: String?
    /// Postfix's queue id macro `i`, sent at MAIL and RCPT; nil: not sent.
    var queueID: String?
    /// Recipients, raw with angle brackets, and the reply each must get, in order.
    var recipients: [(address: String, reply: MilterReplyCode)]
    /// Hold the session open before recipient number `holdBefore` (0-based; `recipients.count`: before
    /// disconnecting) until `goFile` exists.
    var holdBefore: Int?
    var goFile: String?

    /// A Postfix-style connection: `{client_addr}` sent, the socket address is Postfix's own loopback connection.
    init(client: String, auth: String? = nil, daemonAddr: String? = nil, queueID: String? = nil,
         recipients: [(String, MilterReplyCode)]) {
        self.init(socketAddress: "127.0.0.1", clientAddr: client, daemonAddr: daemonAddr, auth: auth,
                  queueID: queueID, recipients: recipients)
    }

    init(socketAddress: String, clientAddr: String? = nil, daemonAddr: String? = nil, auth: String? = nil,
         queueID: String? = nil, recipients: [(String, MilterReplyCode)]) {
        self.socketAddress = socketAddress
        self.clientAddr = clientAddr
        self.daemonAddr = daemonAddr
        self.auth = auth
        self.queueID = queueID
        self.recipients = recipients.map { (address: $0.0, reply: $0.1) }
    }

    /// The `ok   …` lines transaction.lua prints when every step went as expected.
    var expectedOKLines: [String] {
        ["ok   negotiate", "ok   conninfo \(socketAddress)", "ok   helo", "ok   mail"]
            + recipients.map { "ok   rcpt \($0.address) -> \($0.reply.rawValue)" }
            + (holdBefore == nil ? [] : ["ok   held", "ok   released"])
            + ["ok   disconnect"]
    }

    func definitions(socket: String) -> [String: String] {
        var variables = ["sock": socket, "conn_ip": socketAddress]
        variables["client_addr"] = clientAddr
        variables["daemon_addr"] = daemonAddr
        variables["auth"] = auth
        variables["qid"] = queueID
        for (index, recipient) in recipients.enumerated() {
            variables["rcpt\(index + 1)"] = recipient.address
            variables["expect\(index + 1)"] = recipient.reply.rawValue
        }
        if let holdBefore { variables["hold_before"] = String(holdBefore + 1) }
        variables["go_file"] = goFile
        return variables
    }
}

/// What one miltertest run printed and how it ended.
struct MiltertestResult: Sendable, CustomStringConvertible {
    let output: CommandResult
    var exitCode: Int32 { output.exitCode }
    /// The lines transaction.lua printed, `ok   …` and `FAIL …`.
    var lines: [String] { output.stdout.split(separator: "\n").map(String.init) }
    /// The `ok` lines of `transaction` that are missing: empty when every step passed.
    func missingOKLines(of transaction: MilterTransaction) -> [String] {
        transaction.expectedOKLines.filter { !lines.contains($0) }
    }
    var description: String { output.summary }
}

/// Runs OpenDKIM's `miltertest` with a script from the `miltertest` resource directory.
enum Miltertest {
    /// Plays `transaction` against `milter` and waits for miltertest to finish.
    static func run(_ transaction: MilterTransaction, against milter: RelayGuardProcess) async throws -> MiltertestResult {
        let output = try await runCommand(try RequiredTool.miltertest.path(),
                                          try arguments(transaction, socket: milter.socket), timeout: .seconds(60))
        return MiltertestResult(output: output)
    }

    /// Starts `transaction` without waiting (for sessions held open across a reload or a stop).
    static func start(_ transaction: MilterTransaction, against milter: RelayGuardProcess) throws -> RunningMiltertest {
        RunningMiltertest(try ChildProcess(try RequiredTool.miltertest.path(),
                                           try arguments(transaction, socket: milter.socket)))
    }

    static func arguments(_ transaction: MilterTransaction, socket: String) throws -> [String] {
        let definitions = transaction.definitions(socket: socket).sorted { $0.key < $1.key }
        return try definitions.flatMap { ["-D", "\($0.key)=\($0.value)"] } + ["-s", script("transaction")]
    }

    /// The path of `miltertest/NAME.lua` in the test bundle.
    static func script(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "lua", subdirectory: "miltertest") else {
            throw HarnessError("miltertest/\(name).lua is missing from the EndToEndTests resources (\(Bundle.module.bundlePath))")
        }
        return url.path
    }
}

/// A miltertest run in the background, holding its session open until its go file appears.
final class RunningMiltertest: Sendable {
    private let child: ChildProcess

    init(_ child: ChildProcess) { self.child = child }

    /// What it printed so far.
    var lines: [String] { child.capturedOutput().stdout.split(separator: "\n").map(String.init) }

    /// Waits until the script printed `ok   held` (its earlier recipients are answered and logged).
    func waitUntilHeld() async throws {
        try await waitUntil("miltertest to hold its session") {
            guard child.isRunning || lines.contains("ok   held") else {
                throw HarnessError("miltertest exited before holding:\n\(child.output())")
            }
            return lines.contains("ok   held")
        }
    }

    /// Waits for miltertest to finish (after the go file was created) and returns its result.
    func finish(timeout: Duration = .seconds(30)) async throws -> MiltertestResult {
        guard try await child.waitForExit(timeout: timeout) else {
            child.kill()
            throw HarnessError("miltertest did not finish within \(timeout)\n\(child.output())")
        }
        let (stdout, stderr) = child.capturedOutput()
        child.discardOutputFiles()
        return MiltertestResult(output: CommandResult(command: child.commandLine, exitCode: child.exitCode,
                                                      stdout: stdout, stderr: stderr))
    }

    /// Kills it if it still runs (on a failed test).
    func cancel() async {
        await child.stop(grace: .milliseconds(100))
        child.discardOutputFiles()
    }
}
