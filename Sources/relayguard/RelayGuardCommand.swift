import ArgumentParser
import RelayGuardDaemon

/// `relayguard`: only parses arguments; the work is in the library targets.
@main
struct RelayGuardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relayguard",
        abstract: "A Postfix milter that stops relaying through encapsulated (IMCEA) and routed recipient addresses.",
        version: RelayGuardVersion.string,
        subcommands: [Run.self, PolicyCommand.self, CheckConfig.self, ShowConfig.self, Explain.self, Decode.self, Probe.self, Audit.self, CheckPostfix.self]
    )

    /// ParsableCommand's `main`, but `explain` and `decode` operands bypass the parser (see `BulkOperandCommand`).
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let operands = BulkOperands.take(from: &arguments, commands: [Explain.self, Decode.self])
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exit(withError: error)
        }
        do {
            if let operands, var bulk = command as? any BulkOperandCommand {
                bulk.operands += operands
                try bulk.validateOperands()
                command = bulk
            }
            try command.run()
        } catch {
            // The subcommand's own usage with a validation error, as the parser would print it.
            type(of: command).exit(withError: error)
        }
    }
}
