import Foundation

/// An external program the end-to-end tests run, and the Debian package that ships it.
///
/// A missing tool is a failure, never a skip: a skipped end-to-end test would count as passing.
struct RequiredTool: Sendable {
    let name: String
    let package: String

    static let postfix = RequiredTool(name: "postfix", package: "postfix")
    static let postconf = RequiredTool(name: "postconf", package: "postfix")
    static let smtpSink = RequiredTool(name: "smtp-sink", package: "postfix")
    static let swaks = RequiredTool(name: "swaks", package: "swaks")
    static let miltertest = RequiredTool(name: "miltertest", package: "miltertest")

    /// The sbin directories are searched too: `swift test` may run without them in `PATH`.
    private static let fallbackDirectories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    /// The absolute path of the tool, or `HarnessError.missingTool` naming the package to install.
    func path() throws -> String {
        let pathDirectories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in pathDirectories + Self.fallbackDirectories where !directory.isEmpty {
            let candidate = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        throw HarnessError.missingTool(name, package: package)
    }
}
