import ArgumentParser
import RelayGuardDaemon

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Answer Postfix policy delegation requests on standard input and output (a master.cf spawn service). Exits at end of input."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try options.load()
        do {
            try PolicyService.run(configuration: configuration)
        } catch {
            printError("relayguard: \(error)")
            throw ExitCode(74)  // EX_IOERR
        }
    }
}
