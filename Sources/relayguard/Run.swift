import ArgumentParser
import Foundation
import RelayGuardDaemon

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the milter in the foreground (for systemd Type=exec). SIGHUP or SIGUSR1 reloads the config; SIGTERM stops."
    )

    @OptionGroup var options: ConfigOption

    @Flag(name: .customLong("allow-root"), help: "Keep running as root when started as root without `user` in the config file (also RELAYGUARD_ALLOW_ROOT=1).")
    var allowRoot = false

    /// `--allow-root`, or `RELAYGUARD_ALLOW_ROOT=1` for harnesses that cannot change the command line.
    var rootAllowed: Bool {
        allowRoot || ProcessInfo.processInfo.environment["RELAYGUARD_ALLOW_ROOT"] == "1"
    }

    func run() throws {
        let configuration = try options.load()
        do {
            try Daemon.run(configuration: configuration, path: configuration.source, allowRoot: rootAllowed)
        } catch let refusal as StartRefusal {
            // 77 (EX_NOPERM) for a refusal to keep root, 78 (EX_CONFIG) for a config the service account cannot read.
            printError("relayguard: \(refusal)")
            throw ExitCode(refusal.exitStatus)
        } catch let error where error is MilterStoppedError || error is PolicyListenerStoppedError {
            printError("relayguard: \(error)")
            throw ExitCode(75)  // EX_TEMPFAIL: Restart=on-failure restarts it
        } catch {
            printError("relayguard: \(error)")
            throw ExitCode(71)  // EX_OSERR: the socket could not be opened, or libmilter failed
        }
    }
}
