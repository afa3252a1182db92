import ArgumentParser
import Foundation
import RelayGuardConfig

/// `--config PATH`, shared by the subcommands that read the config file.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The config file.", valueName: "path"))
    var config: String?

    /// Loads `--config`, or the default path, or the embedded default when no file is at the default path.
    /// On error prints every `file:line: message` and exits 78 (EX_CONFIG).
    func load() throws -> Configuration {
        let path = config ?? Configuration.defaultPath
        if config == nil, !FileManager.default.fileExists(atPath: path) {
            return Configuration.embeddedDefault
        }
        do {
            return try Configuration.load(path: path)
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.description) }
            throw ExitCode(78)
        }
    }
}

/// One JSON object on one line, keys sorted: the `--json` output of probe, audit and check-postfix.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

func printError(_ line: String) {
    // Not `write(_:)`, which traps on ENOSPC/EPIPE: the exit status must survive a stderr that cannot be written.
    try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
}
