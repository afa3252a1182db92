import Foundation

/// `relayguard policy` as a master.cf spawn(8) service, as policyd-spf runs: a config file and, by default, a file
/// its standard error is appended to (spawn(8) connects standard error to smtpd, so the decision lines would
/// otherwise go to syslog, which the test machine may not have).
struct PolicySpawnService: Sendable {
    /// The smtpd restriction list that asks the service named `name` first, so that it sees every client.
    static func relayRestrictions(name: String = "relayguard") -> String {
        "check_policy_service unix:private/\(name), permit_mynetworks, reject_unauth_destination"
    }

    /// The master.cf service name; smtpd connects to `private/NAME` in the queue directory.
    let name: String
    let configPath: String
    let logPath: String
    let masterCF: String
    private let directory: TemporaryDirectory

    init(settings: [String], name: String = "relayguard", redirectStderr: Bool = true) throws {
        self.name = name
        directory = try TemporaryDirectory(prefix: "relayguard-policy")
        configPath = try directory.write(settings.map { $0 + "\n" }.joined(), to: "relayguard.conf")
        // spawn runs the command as nobody: the log directory is nobody's.
        logPath = try directory.subdirectory("log", owner: "nobody") + "/policy.log"
        let binary = try RelayGuardProcess.binaryPath()
        let command = redirectStderr
            ? "argv=/bin/sh -c { exec \(binary) policy --config \(configPath) 2>>\(logPath) }"
            : "argv=\(binary) policy --config \(configPath)"
        masterCF = "\(name) unix - n n - 0 spawn user=nobody " + command
    }

    /// The gateway's options with this service first in `smtpd_relay_restrictions`.
    func postfixOptions(extraListenAddresses: [String] = []) -> PostfixOptions {
        PostfixOptions(parameters: ["smtpd_relay_restrictions": Self.relayRestrictions(name: name)],
                       extraListenAddresses: extraListenAddresses, extraMasterCF: [masterCF])
    }

    /// The decision lines and errors logged so far.
    func log() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    func remove() { directory.remove() }
}

/// Runs `body` with a private Postfix that asks a spawned `relayguard policy` with `settings`.
func withPolicyService<T: Sendable>(
    _ settings: [String] = [],
    redirectStderr: Bool = true,
    extraListenAddresses: [String] = [],
    _ body: (PostfixInstance, PolicySpawnService) async throws -> T
) async throws -> T {
    let service = try PolicySpawnService(settings: settings, redirectStderr: redirectStderr)
    defer { service.remove() }
    do {
        return try await withPostfix(service.postfixOptions(extraListenAddresses: extraListenAddresses)) { try await body($0, service) }
    } catch {
        print("relayguard policy log:\n\(service.log().suffix(3000))")
        throw error
    }
}
