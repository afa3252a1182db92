/// Why the end-to-end harness could not do what a test asked.
///
/// Every case reads as a complete sentence for the test log: a missing tool names the Debian package to install,
/// a failed command carries its output. The harness never skips a test; it throws one of these instead.
struct HarnessError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }

    static func missingTool(_ name: String, package: String) -> HarnessError {
        HarnessError("\(name) was not found; the end-to-end tests need it: apt-get install \(package)")
    }
}
