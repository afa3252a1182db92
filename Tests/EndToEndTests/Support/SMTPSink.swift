import Foundation

/// One mail transaction as `smtp-sink -d` dumped it.
struct SinkMessage: Sendable, Equatable {
    /// The client address smtp-sink saw (`X-Client-Addr`), normally Postfix's smtp client on 127.0.0.1.
    let clientAddress: String
    /// The MAIL FROM address without angle brackets.
    let sender: String
    /// The RCPT TO addresses without angle brackets or ESMTP parameters, in the order sent.
    let recipients: [String]
    let text: String

    /// Parses a dump file: smtp-sink's own `X-…` headers come first, one `X-Rcpt-Args` per RCPT, e.g.
    /// `X-Rcpt-Args: <alice@corp.example> ORCPT=rfc822;alice@corp.example`.
    init(dump text: String) {
        var client = ""
        var sender = ""
        var recipients: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Received:") || line.isEmpty { break }
            if let value = Self.value(of: "X-Client-Addr", in: line) {
                client = value
            } else if let value = Self.value(of: "X-Mail-Args", in: line) {
                sender = Self.address(in: value)
            } else if let value = Self.value(of: "X-Rcpt-Args", in: line) {
                recipients.append(Self.address(in: value))
            }
        }
        self.clientAddress = client
        self.sender = sender
        self.recipients = recipients
        self.text = text
    }

    private static func value(of header: String, in line: Substring) -> String? {
        let prefix = header + ": "
        return line.hasPrefix(prefix) ? String(line.dropFirst(prefix.count)) : nil
    }

    /// `<a@b> ORCPT=…` → `a@b`.
    private static func address(in args: String) -> String {
        guard args.hasPrefix("<"), let close = args.firstIndex(of: ">") else {
            return String(args.prefix { $0 != " " })
        }
        return String(args[args.index(after: args.startIndex)..<close])
    }
}

/// `smtp-sink` on a free loopback port, dumping every transaction to its own file, as the next hop of a test Postfix.
///
/// smtp-sink writes a dump file before it answers the final `.`, so once Postfix has removed a message from its
/// queue (see `PostfixInstance.waitForQueueToDrain`) the dump is complete.
final class SMTPSink: Sendable {
    let port: UInt16
    private let dumpDirectory: String
    private let child: ChildProcess

    /// Starts smtp-sink and waits until it listens. `directory` is where the dumps go.
    init(directory: TemporaryDirectory) async throws {
        let sinkPath = try RequiredTool.smtpSink.path()
        port = try FreePort.allocate()
        // smtp-sink refuses to run as root without -u; the dump directory must be writable by that user.
        dumpDirectory = try directory.subdirectory("sink", owner: "postfix")
        child = try ChildProcess(sinkPath, ["-u", "postfix", "-d", dumpDirectory + "/", "127.0.0.1:\(port)", "64"])
        do {
            try await FreePort.waitUntilListening(port, what: "smtp-sink", whileAlive: { [child] in child.isRunning })
        } catch {
            await child.stop()
            throw HarnessError("\(error)\n\(child.output())")
        }
    }

    /// Every transaction received so far, oldest first.
    func messages() throws -> [SinkMessage] {
        let names = try FileManager.default.contentsOfDirectory(atPath: dumpDirectory)
        let dumps = try names.map { name -> (Date, SinkMessage) in
            let path = dumpDirectory + "/" + name
            let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
            return (modified ?? .distantPast, SinkMessage(dump: try String(contentsOfFile: path, encoding: .utf8)))
        }
        return dumps.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The transactions with envelope sender `sender`; lets tests that share a Postfix tell their mail apart.
    func messages(from sender: String) throws -> [SinkMessage] {
        try messages().filter { $0.sender == sender }
    }

    /// All recipients of all transactions, in arrival order.
    func recipients() throws -> [String] {
        try messages().flatMap(\.recipients)
    }

    /// Forgets what arrived so far, so a test can check one send at a time.
    func clear() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: dumpDirectory) {
            try FileManager.default.removeItem(atPath: dumpDirectory + "/" + name)
        }
    }

    func stop() async {
        await child.stop()
        child.discardOutputFiles()
    }
}
