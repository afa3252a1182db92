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

/// The key names, from show-config of the empty file (the parser's output for a fixed input, not the fuzzed one).
private let knownKeys: Set<String> = {
    guard let empty = try? Configuration.parse("", file: "empty.conf", baseDirectory: includeDirectory) else {
        fatalError("the empty config does not parse")
    }
    return Set(empty.render().split(separator: "\n").filter { !$0.hasPrefix("#") }
        .compactMap { $0.split(separator: "=").first?.trimmingCharacters(in: .whitespaces) })
}()

/// An oracle that does not look at the parser's output: from the text alone, the lines a strict main.cf reader must
/// refuse. A line starting with a blank continues the setting before it (an error when there is none); otherwise a
/// line that is not empty and not a `#` comment must be `known_key = ...`. A reader that skipped such a line would
/// silently drop part of a mail policy. Only what must be refused is predicted, not every error.
///
/// Read as bytes, as the parser and Postfix read a config file: over Characters, `=` followed by a combining mark is
/// another Character and the line seemed to have no `=` (found by this target in a CI rehearsal).
private func linesThatMustBeRefused(_ text: String) -> [Int] {
    let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
    var refused: [Int] = []
    var sawSetting = false
    var number = 0
    for var line in Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        number += 1
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let blanksDropped = line.drop(while: blank)
        if blanksDropped.isEmpty || blanksDropped.first == UInt8(ascii: "#") { continue }
        if blanksDropped.startIndex != line.startIndex {
            if !sawSetting { refused.append(number) }
            continue
        }
        guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
            refused.append(number)
            continue
        }
        // A continuation after this line may belong to it even when the line itself is refused, so only a file
        // with no `=` line yet must refuse a continuation.
        sawSetting = true
        var key = line[..<equals]
        while let last = key.last, blank(last) { key = key.dropLast() }
        if !knownKeys.contains(String(decoding: key, as: UTF8.self)) {
            refused.append(number)
        }
    }
    return refused
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if text.contains("file:/") || text.contains("..") { return -1 }
    let mustRefuse = linesThatMustBeRefused(text)
    let configuration: Configuration
    do {
        configuration = try Configuration.parse(text, file: "fuzz.conf", baseDirectory: includeDirectory)
        require(mustRefuse.isEmpty, "lines \(mustRefuse) are neither settings of known keys nor comments, yet the file loaded", text)
    } catch {
        let refusedLines = Set(error.diagnostics.filter { $0.file == "fuzz.conf" }.map(\.line))
        for line in mustRefuse {
            require(refusedLines.contains(line), "line \(line) must be refused; diagnostics: \(error.diagnostics)", text)
        }
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
