import ArgumentParser
import RelayGuardDaemon

/// `relayguard`: only parses arguments; the work is in the library targets.
@main
struct RelayGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relayguard",
        abstract: "A Postfix milter that stops relaying through encapsulated (IMCEA) and routed recipient addresses.",
        version: RelayGuardVersion.string,
        subcommands: [Run.self, CheckConfig.self, ShowConfig.self, Explain.self, Decode.self, Probe.self, Audit.self, CheckPostfix.self]
    )
}
