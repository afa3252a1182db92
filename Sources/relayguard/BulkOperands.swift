import ArgumentParser

/// A subcommand whose positional operands can number in the tens of thousands (`explain`, `decode`).
///
/// swift-argument-parser removes each parsed positional argument from its argument array, one `remove(at:)` apiece
/// (`SplitArguments.removeAll(in:)`), which made 10,000 recipients take 4 s and 20,000 take 17 s. `main` takes the
/// operands out of the command line first, in one pass, and hands them over after the options are parsed.
protocol BulkOperandCommand: ParsableCommand {
    /// The options that take a value, by their long names, `--name value` or `--name=value`.
    static var valueOptions: Set<String> { get }
    var operands: [String] { get set }
    /// Checks the operands once they are in place (`validate()` runs before).
    func validateOperands() throws
}

enum BulkOperands {
    /// Moves the operands of a bulk-operand subcommand out of `arguments` (leaving the subcommand and its options),
    /// or returns nil for any other command line.
    static func take(from arguments: inout [String], commands: [any BulkOperandCommand.Type]) -> [String]? {
        guard let name = arguments.first,
              let command = commands.first(where: { $0._commandName == name }) else { return nil }
        var kept = [name]
        var operands: [String] = []
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                operands += arguments[index...]
                break
            }
            // `-` alone is an operand: standard input.
            if argument.hasPrefix("-"), argument != "-" {
                kept.append(argument)
                if command.valueOptions.contains(argument), index < arguments.count {
                    kept.append(arguments[index])
                    index += 1
                }
            } else {
                operands.append(argument)
            }
        }
        arguments = kept
        return operands
    }

    /// The operands with each `-` replaced by the lines of standard input (a trailing CR removed, empty lines skipped).
    static func expand(_ operands: [String], each: (String) throws -> Void) rethrows {
        for operand in operands {
            guard operand == "-" else {
                try each(operand)
                continue
            }
            while var line = readLine(strippingNewline: true) {
                if line.hasSuffix("\r") { line.removeLast() }
                if !line.isEmpty { try each(line) }
            }
        }
    }
}
