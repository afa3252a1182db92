import ArgumentParser
import Foundation
import PostfixCheck

struct CheckPostfix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-postfix",
        abstract: "Check that Postfix is wired so that RelayGuard sees every recipient.",
        discussion: """
            Reads Postfix's configuration with postconf (main.cf and master.cf) and RelayGuard's config, and reports \
            each problem with the command that fixes it. Exit 0: nothing found; 1: findings; 2: Postfix's \
            configuration could not be read.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .customLong("config-directory"), help: ArgumentHelp("Postfix's configuration directory, as postconf -c takes it.", valueName: "dir"))
    var configDirectory: String?

    @Option(help: ArgumentHelp("The postconf program.", valueName: "path"))
    var postconf: String = Postconf.defaultExecutable

    @Flag(help: "Print the findings as one JSON object.")
    var json = false

    func run() throws {
        let relayGuard = try options.load()
        let settings: PostfixSettings
        do {
            settings = try Postconf(executable: postconf, configDirectory: configDirectory).read()
        } catch {
            printError("relayguard check-postfix: \(error.description)")
            throw ExitCode(2)
        }
        let daemon = relayGuard.daemon
        let findings = WiringCheck(postfix: settings, socket: daemon.serveMilter ? daemon.socket : nil,
                                   policySocket: daemon.policySocket, localDomains: relayGuard.policy.localDomains).findings()
        if json {
            let report = CheckPostfixReport(postfixVersion: settings.parameters["mail_version"] ?? "",
                                            configDirectory: configDirectory, findings: findings)
            try printJSON(report)
        } else if findings.isEmpty {
            print("Postfix \(settings.parameters["mail_version"] ?? "?"): RelayGuard sees every SMTP recipient; nothing to fix")
        } else {
            for finding in findings {
                print("\(finding.severity.rawValue): \(finding.location): \(finding.problem)")
                print("  fix: \(finding.fix)")
                print("  why: \(finding.why)")
            }
        }
        if !findings.isEmpty { throw ExitCode(1) }
    }
}

struct CheckPostfixReport: Encodable {
    var postfixVersion: String
    var configDirectory: String?
    var findings: [Finding]

    enum CodingKeys: String, CodingKey {
        case postfixVersion = "postfix_version", configDirectory = "config_directory", findings
    }
}
