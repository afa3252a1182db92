import ArgumentParser
import RelayGuardConfig

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the config file: exit 0 with warnings, or 78 with every error as file:line: message."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let configuration = try options.load()
        for warning in configuration.warnings { printError(warning.description) }
        if let note = Self.subdomainNote(configuration) { print(note) }
        print("\(configuration.source ?? "embedded default"): OK")
    }

    /// Postfix's `relay_domains = corp.test` covers `sub.corp.test` too (`parent_domain_matches_subdomains`);
    /// `local_domains = corp.test` does not, and an admin who copies one list into the other should hear it.
    static func subdomainNote(_ configuration: Configuration) -> String? {
        guard let value = configuration.effective.first(where: { $0.key == "local_domains" })?.value else { return nil }
        let entries = value.split(whereSeparator: { (c: Character) -> Bool in c == "," || c == " " || c == "\t" })
        // An entry whose dotted form is listed too is covered; `file:` includes are not looked into here.
        let exact = entries.filter { !$0.hasPrefix(".") && !$0.contains(":") && !entries.contains("." + $0) }
        guard let example = exact.first else { return nil }
        return "note: local_domains = \(example) does not cover its subdomains (sub.\(example)), unlike Postfix's "
            + "relay_domains (parent_domain_matches_subdomains); list .\(example) too if they are local"
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
