import ArgumentParser
import Foundation
import MailLogAudit

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search Postfix mail logs for encapsulated or routed recipients that were delivered, and for probing.",
        discussion: """
            Reads syslog files (rsyslog's /var/log/mail.log, journalctl's short formats, Postfix's maillog_file), \
            journalctl -o export, gzip-rotated files and - for standard input. Exit 0: no encapsulated or routed \
            delivery; 1: at least one; 2: a file could not be read.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("Skip lines before this time: YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], in the log's own clock.", valueName: "time"))
    var since: String?

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Argument(help: ArgumentHelp("Log files; - for standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        if let since, WallClock.parse(since) == nil {
            throw ValidationError("--since: \"\(since)\" is not YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]")
        }
        if files.isEmpty { throw ValidationError("give at least one log file (- for standard input)") }
    }

    func run() throws {
        var auditor = Auditor(policy: try options.load().policy, since: since.flatMap(WallClock.parse))
        var unreadable = false
        for file in files {
            do {
                try LogFile.withDescriptor(file) { (fd: Int32) throws(AuditError) in try auditor.read(fd, name: file) }
            } catch {
                printError("relayguard audit: \(error.description)")
                unreadable = true
            }
        }
        let report = auditor.finished()
        if json {
            try printJSON(report)
        } else {
            print(AuditTable.render(report), terminator: "")
        }
        if unreadable { throw ExitCode(2) }
        if report.deliveryCount > 0 { throw ExitCode(1) }
    }
}

/// The terminal report: the deliveries first (they are the evidence), then who probed and with what.
enum AuditTable {
    static func render(_ report: AuditReport) -> String {
        var out = "\(report.lines) lines read from \(report.files.joined(separator: ", "))\n\n"
        if report.deliveryCount == 0 {
            out += "No encapsulated or routed recipient was delivered.\n"
        } else {
            out += "Encapsulated or routed recipients Postfix accepted and delivered: \(report.deliveryCount)"
            out += report.deliveryCount > report.deliveries.count ? " (the first \(report.deliveries.count) below)\n" : "\n"
            out += TextTable.render(["time", "queue id", "client", "recipient", "decodes to", "relay", "status"],
                         report.deliveries.map { delivery in
                             [delivery.time, delivery.queueID,
                              (delivery.client ?? "?") + (delivery.saslUsername.map { " (sasl \($0))" } ?? ""),
                              delivery.recipient + (delivery.originalRecipient.map { " (orig_to \($0))" } ?? ""),
                              delivery.decodesTo ?? "-", delivery.relay, delivery.status]
                         })
        }
        out += "\n"
        let refused = report.refusalsByFamily.values.reduce(0, +)
        if refused == 0 {
            out += "No refusals by RelayGuard or of relaying by Postfix.\n"
        } else {
            out += "Refused recipients by client (RelayGuard's milter or policy refusals, Postfix's Relay access denied):\n"
            out += TextTable.render(["client", "relayguard", "relay denied", "families"], report.refusals.prefix(50).map { client in
                [client.client, "\(client.relayGuard)", "\(client.relayDenied)",
                 client.families.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")]
            })
            if report.refusals.count > 50 { out += "(\(report.refusals.count - 50) more clients in --json)\n" }
            if report.otherClientsRefusals > 0 {
                out += "(\(report.otherClientsRefusals) refusals of \(report.otherClients) further clients, counted together)\n"
            }
            out += "\nRefused recipients by family:\n"
            out += TextTable.render(["family", "refused"], report.refusalsByFamily.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { [$0.key, "\($0.value)"] })
        }
        return out
    }
}
