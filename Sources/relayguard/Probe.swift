import ArgumentParser
import Foundation
import SMTPProbe

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check from outside that a gateway refuses encapsulated and routed recipients.",
        discussion: """
            Connects to HOST, and for each test recipient at DOMAIN sends MAIL FROM, RCPT TO and RSET; never DATA. \
            Run it from outside the gateway's trusted networks: from inside mynetworks every recipient is accepted \
            and the probe proves nothing. Exit 0: nothing accepted; 1: something accepted; 2: something could not \
            be tested.
            """
    )

    @Argument(help: ArgumentHelp("The gateway to test.", valueName: "host"))
    var host: String

    @Argument(help: ArgumentHelp("Its relay domain: the domain of every test recipient.", valueName: "domain"))
    var domain: String

    @Option(help: "The SMTP port.")
    var port: UInt16 = 25

    @Option(help: "The EHLO name.")
    var helo = "relayguard-probe.invalid"

    @Option(help: "The MAIL FROM address.")
    var from = "relayguard-probe@relayguard-probe.invalid"

    @Option(help: ArgumentHelp("The outside address the forms try to reach (nothing is sent to it).", valueName: "address"))
    var target = "victim@relayguard-probe.invalid"

    @Option(help: ArgumentHelp("Seconds to wait for the connection and for each reply.", valueName: "seconds"))
    var timeout = 30.0

    @Option(help: ArgumentHelp("More test recipients: FAMILY RECIPIENT a line, with {domain} {literal} {target} {user} {target_domain}.", valueName: "file"))
    var forms: String?

    @Flag(name: .customLong("no-builtin"), help: "Try only the recipients of --forms.")
    var noBuiltIn = false

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
        if !(timeout > 0 && timeout <= 3600) { throw ValidationError("--timeout: between 0 and 3600 seconds") }
        if !target.contains("@") { throw ValidationError("--target: an address with @") }
        if noBuiltIn && forms == nil { throw ValidationError("--no-builtin needs --forms") }
        for (name, value) in [("HOST", host), ("DOMAIN", domain), ("--helo", helo), ("--from", from), ("--target", target)]
        where ProbeForm.hasLineBreakOrNUL(value) || value.utf8.contains(0x20) {
            throw ValidationError("\(name): no spaces, CR, LF or NUL")
        }
    }

    func run() throws {
        var options = ProbeOptions(host: host, domain: domain)
        options.port = port
        options.helo = helo
        options.from = from
        options.target = target
        options.timeout = timeout
        options.builtIn = !noBuiltIn
        var formsText: String?
        if let forms {
            do { formsText = try String(contentsOfFile: forms, encoding: .utf8) } catch {
                printError("relayguard probe: \(forms): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
        let prober = Prober(options: options) { (literal: String?) throws(ProbeError) -> [ProbeForm] in
            guard let forms, let formsText else { return [] }
            return try ProbeForm.parse(formsText, file: forms, domain: domain, literal: literal, target: target)
        }
        let report: ProbeReport
        do {
            report = try prober.run { index, total, result in
                printError("probe: [\(index)/\(total)] \(result.family): \(result.outcome.rawValue) \(result.reply.prefix(60))")
            }
        } catch {
            printError("relayguard probe: \(error.description)")
            throw ExitCode(2)
        }
        if json {
            try printJSON(report)
        } else {
            print(ProbeTable.render(report), terminator: "")
        }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }
}

enum ProbeTable {
    static func render(_ report: ProbeReport) -> String {
        let rows = report.results.map { result in
            [result.family, result.outcome.rawValue, result.recipient + (result.decodesTo.map { " -> \($0)" } ?? ""), result.reply]
        }
        var out = TextTable.render(["family", "result", "recipient", "reply"], rows)
        out += "\n\(report.results.count) recipients tried at \(report.host) port \(report.port) for \(report.domain): "
        out += "\(report.accepted) accepted, \(report.results.filter { $0.outcome == .refused }.count) refused, "
        out += "\(report.results.filter { $0.outcome == .deferred }.count) deferred, "
        out += "\(report.results.filter { $0.outcome == .authRequired }.count) needing authentication, \(report.errors) not tested\n"
        if report.results.contains(where: { $0.family == "plain-relay" && $0.outcome == .accepted }) {
            out += "Plain relaying to the outside was accepted: this client is trusted (mynetworks, a relay client) or the server is an open relay.\n"
        }
        if report.accepted > 0 {
            out += "Each accepted recipient is a way to reach the outside through this gateway, if a server behind it decodes the form.\n"
        }
        if report.results.contains(where: { $0.outcome == .deferred }) {
            out += "A deferred (4xx) recipient is not proof of closure: the server may accept it on a later try.\n"
        }
        out += "A probe from inside the gateway's trusted networks (mynetworks, authenticated or relay clients) proves nothing: run it from outside.\n"
        return out
    }
}
