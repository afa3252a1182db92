import Foundation

/// The `relayguard` milter running in the foreground (`relayguard run --config PATH`) on a free loopback port.
///
/// The config file is written from `settings` plus the `socket` line; decisions are logged to stderr, which
/// `log()` returns for assertions and failure messages.
final class RelayGuardProcess: Sendable {
    let port: UInt16
    let configPath: String
    private let child: ChildProcess
    private let directory: TemporaryDirectory

    /// Starts the milter and waits until it accepts connections.
    ///
    /// - Parameter settings: relayguard.conf lines other than `socket`, e.g. `["reroute = yes"]`; `user = nobody`
    ///   is added unless a `user` line is given.
    init(settings: [String] = []) async throws {
        let binary = try Self.binaryPath()
        port = try FreePort.allocate()
        directory = try TemporaryDirectory(prefix: "relayguard-e2e-milter")
        // relayguard refuses to keep root; like a real install it drops to `user` after opening the socket.
        let setsUser = settings.contains { $0.split(separator: "=").first?.trimmingCharacters(in: .whitespaces) == "user" }
        let defaults = ["socket = inet:\(port)@127.0.0.1"] + (setsUser ? [] : ["user = nobody"])
        let config = (defaults + settings).joined(separator: "\n") + "\n"
        configPath = try directory.write(config, to: "relayguard.conf")
        do {
            child = try ChildProcess(binary, ["run", "--config", configPath])
        } catch {
            directory.remove()
            throw error
        }
        do {
            try await FreePort.waitUntilListening(port, what: "relayguard", whileAlive: { [child] in child.isRunning })
        } catch {
            let output = child.output()
            await child.stop()
            child.discardOutputFiles()
            directory.remove()
            throw HarnessError("\(error)\nconfig \(configPath):\n\(config)\n\(output)")
        }
    }

    /// What Postfix needs to call this milter.
    func postfixMilter(defaultAction: String = "tempfail") -> PostfixOptions.Milter {
        PostfixOptions.Milter(port: port, defaultAction: defaultAction)
    }

    /// stdout and stderr so far.
    func log() -> String {
        child.output()
    }

    /// Stops the milter. libmilter may take seconds to return from `smfi_main` after SIGTERM; the tests do not
    /// wait for that and kill it after a short grace period.
    func stop() async {
        await child.stop(grace: .milliseconds(300))
        child.discardOutputFiles()
        directory.remove()
    }

    /// The built `relayguard` executable: `RELAYGUARD_BINARY` if set, else the build products directory that holds
    /// this test bundle's resources (SwiftPM builds the executable there because EndToEndTests depends on it).
    static func binaryPath() throws -> String {
        if let override = ProcessInfo.processInfo.environment["RELAYGUARD_BINARY"], !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw HarnessError("RELAYGUARD_BINARY=\(override) is not an executable file")
            }
            return override
        }
        let productsDirectories = [
            Bundle.module.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        for directory in productsDirectories {
            let candidate = directory.appendingPathComponent("relayguard").path
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw HarnessError(
            "the relayguard executable was not found next to the test bundle (looked in "
                + productsDirectories.map(\.path).joined(separator: ", ")
                + "); build it with `swift build --product relayguard` or set RELAYGUARD_BINARY")
    }
}

/// Runs `body` with a started relayguard milter and always stops it afterwards.
func withRelayGuard<T: Sendable>(
    _ settings: [String] = [],
    _ body: (RelayGuardProcess) async throws -> T
) async throws -> T {
    let milter = try await RelayGuardProcess(settings: settings)
    do {
        let result = try await body(milter)
        await milter.stop()
        return result
    } catch {
        await milter.stop()
        throw error
    }
}
