import ArgumentParser
import RelayGuardDaemon

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the milter in the foreground (for systemd Type=exec). SIGUSR1 reloads the config; SIGTERM stops."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try options.load()
        do {
            try Daemon.run(configuration: configuration, path: configuration.source)
        } catch {
            printError("relayguard: \(error)")
            throw ExitCode(71)  // EX_OSERR: the socket could not be opened, or libmilter failed
        }
    }
}
