import Foundation

extension RelayGuardProcess {
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
