import Foundation

/// Reads a Postfix configuration by running `postconf`, so that Postfix's own parser (defaults, `$name` expansion,
/// master.cf continuation lines) decides what the files mean.
public struct Postconf: Sendable {
    /// The `postconf` binary.
    public var executable: String
    /// `-c DIR`; nil reads Postfix's default configuration directory.
    public var configDirectory: String?

    public init(executable: String = Postconf.defaultExecutable, configDirectory: String? = nil) {
        self.executable = executable
        self.configDirectory = configDirectory
    }

    /// `/usr/sbin/postconf` where it is (Debian's path, often outside a user's PATH), else `postconf` from PATH.
    public static var defaultExecutable: String {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/postconf") ? "/usr/sbin/postconf" : "postconf"
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parameters, explicit settings and master.cf services.
    public func read() throws(Failure) -> PostfixSettings {
        let parameters = PostfixSettings.parameters(fromPostconf: try run(["-x"] + PostfixSettings.parameterNames))
        let explicit = Set(PostfixSettings.parameters(fromPostconf: try run(["-n"])).keys)
        let services = PostfixSettings.services(fields: try run(["-F"]), overrides: try run(["-P", "-x"]))
        return PostfixSettings(parameters: parameters, explicit: explicit, services: services)
    }

    func run(_ arguments: [String]) throws(Failure) -> String {
        let process = Process()
        let output = Pipe(), errors = Pipe()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = (configDirectory.map { ["-c", $0] } ?? []) + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + (configDirectory.map { ["-c", $0] } ?? []) + arguments
        }
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw Failure(description: "cannot run \(executable): \(error.localizedDescription)")
        }
        // Read both pipes before waiting: a full pipe would block postconf forever.
        let text = output.fileHandleForReading.readDataToEndOfFile()
        let problem = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: problem, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no message"
            let command = executable + (configDirectory.map { " -c \($0)" } ?? "")
            throw Failure(description: "\(command) failed (exit \(process.terminationStatus)): \(message)")
        }
        return String(decoding: text, as: UTF8.self)
    }
}
