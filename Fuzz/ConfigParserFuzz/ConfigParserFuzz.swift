// libFuzzer target for relayguard.conf parsing (RelayGuardConfig), built by scripts/fuzz.
//
// `file:` includes read the file system, so the target keeps the run hermetic: relative includes resolve in a
// directory this target fills, and inputs naming an absolute path or `..` are skipped (reading /dev/zero would only
// measure the kernel).
import Foundation
import RelayGuardConfig
import RelayPolicy

private let includeDirectory: String = {
    let directory = NSTemporaryDirectory() + "relayguard-config-fuzz"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let files = [
        "clients": "# peers\n192.0.2.10\n198.51.100.0/24\n2001:db8::/32\n",
        "domains": "corp.example\n.eu.corp.example\n",
        "bad": "192.0.2.300\nnot-a-prefix\n",
        "empty": "",
    ]
    for (name, text) in files {
        _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(text.utf8))
    }
    return directory
}()

private func require(_ condition: Bool, _ message: @autoclosure () -> String, _ text: String) {
    if !condition { fatalError("property violated: \(message()) for \(text.debugDescription)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if text.contains("file:/") || text.contains("..") { return -1 }
    let configuration: Configuration
    do {
        configuration = try Configuration.parse(text, file: "fuzz.conf", baseDirectory: includeDirectory)
    } catch {
        // Every error names the file and a line; the message is never empty.
        for diagnostic in error.diagnostics {
            require(!diagnostic.message.isEmpty, "empty diagnostic", text)
            require(diagnostic.file == "fuzz.conf" || diagnostic.file.hasPrefix(includeDirectory),
                    "diagnostic names a file: \(diagnostic.file)", text)
        }
        require(!error.diagnostics.isEmpty, "an error has diagnostics", text)
        return 0
    }
    // A loaded policy that may reroute always has a way to restrict who may (README: an error otherwise).
    require(!configuration.policy.reroute || configuration.policy.hasRelayRestrictions, "reroute without restriction", text)
    // show-config's output is itself a valid config with the same effective settings.
    let rendered = configuration.render()
    do {
        let again = try Configuration.parse(rendered, file: "fuzz.conf", baseDirectory: includeDirectory)
        require(again.render() == rendered, "show-config round trip changes settings:\n\(rendered)", text)
    } catch {
        fatalError("show-config output does not parse: \(error) for \(text.debugDescription)\n\(rendered)")
    }
    return 0
}
