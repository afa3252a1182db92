import Foundation

/// Postfix's `smtp-source` load generator: `messages` messages, one recipient each, `sessions` in parallel, a new
/// SMTP connection per message, from 127.0.0.1 (no XCLIENT: the milter sees 127.0.0.1).
///
/// It runs with `-A` (go on after a refusal), and then prints exactly one warning per refused message on stderr:
/// `smtp-source: warning: recipient rejected: 550 5.7.1 …` (also `sender`, `data`, `end of data`). Every message
/// without a warning was accepted with 250 at end of data.
struct SMTPSource: Sendable {
    var sender: String
    var recipient: String
    var messages: Int
    var sessions: Int

    /// Starts the run; `finish()` waits for it.
    func start(against postfix: PostfixInstance) throws -> SMTPSourceRun {
        let arguments = ["-A", "-m", "\(messages)", "-s", "\(sessions)", "-f", sender, "-t", recipient,
                         "-M", "client.test", "127.0.0.1:\(postfix.smtpPort)"]
        return SMTPSourceRun(source: self, child: try ChildProcess(try Self.path(), arguments))
    }

    static func path() throws -> String {
        try RequiredTool(name: "smtp-source", package: "postfix").path()
    }
}

/// A running `smtp-source`.
struct SMTPSourceRun: Sendable {
    let source: SMTPSource
    let child: ChildProcess

    /// Waits for smtp-source to exit (it must, within `timeout`) and counts its refusals.
    func finish(timeout: Duration = .seconds(120)) async throws -> SMTPSourceReport {
        guard try await child.waitForExit(timeout: timeout) else {
            child.kill()
            throw HarnessError("smtp-source did not finish within \(timeout)\n\(child.output().suffix(2000))")
        }
        defer { child.discardOutputFiles() }
        let (stdout, stderr) = child.capturedOutput()
        guard child.exitCode == 0 else {
            throw HarnessError("`\(child.commandLine)` exited \(child.exitCode)\n\(stdout)\n\(stderr.suffix(2000))")
        }
        return SMTPSourceReport(source: source, stderr: stderr)
    }

    func cancel() async {
        await child.stop(grace: .milliseconds(100))
        child.discardOutputFiles()
    }
}

/// What one smtp-source run saw: a refusal per warning line, sorted by class.
struct SMTPSourceReport: Sendable {
    let source: SMTPSource
    /// Messages refused with 4xx (the client may retry): at MAIL, RCPT, DATA or end of data.
    let tempfailed: Int
    /// Messages refused with 5xx.
    let rejected: Int
    /// Warning lines that are neither (a lost connection, a protocol error): must be none.
    let other: [String]
    /// The distinct refusal texts with their counts, for the report.
    let refusals: [String: Int]

    init(source: SMTPSource, stderr: String) {
        self.source = source
        var tempfailed = 0, rejected = 0
        var other: [String] = []
        var refusals: [String: Int] = [:]
        for line in stderr.split(separator: "\n") where line.contains("warning:") {
            // "smtp-source: warning: recipient rejected: 550 5.7.1 <…>: …" → stage and code.
            let afterWarning = line[line.range(of: "warning: ")!.upperBound...]
            guard let rejectedRange = afterWarning.range(of: " rejected: ") else { other.append(String(line)); continue }
            let reply = afterWarning[rejectedRange.upperBound...]
            let code = reply.prefix(3)
            let key = "\(afterWarning[..<rejectedRange.lowerBound]) \(code)"
            refusals[key, default: 0] += 1
            switch code.first {
            case "4": tempfailed += 1
            case "5": rejected += 1
            default: other.append(String(line))
            }
        }
        self.tempfailed = tempfailed
        self.rejected = rejected
        self.other = other
        self.refusals = refusals
    }

    /// Messages accepted at end of data.
    var accepted: Int { source.messages - tempfailed - rejected - other.count }
}
