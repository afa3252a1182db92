import ArgumentParser

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the config file: exit 0 with warnings, or 78 with every error as file:line: message."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try options.load()
        for warning in configuration.warnings { printError(warning.description) }
        print("\(configuration.source ?? "embedded default"): OK")
    }
}

struct ShowConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show-config",
        abstract: "Print the effective settings, defaults included, in relayguard.conf syntax."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        print(try options.load().render(), terminator: "")
    }
}
