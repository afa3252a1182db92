import Foundation

/// A fresh directory under /tmp, readable and traversable by the unprivileged `postfix` user.
///
/// Set `RELAYGUARD_E2E_KEEP=1` to keep these directories after the tests for inspection.
struct TemporaryDirectory: Sendable {
    let path: String

    init(prefix: String) throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw HarnessError("mkdtemp failed for /tmp/\(prefix)-XXXXXX: errno \(errno)")
        }
        path = String(cString: created)
        // Postfix daemons run as `postfix` and must traverse into the queue and data directories.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    func subdirectory(_ name: String, owner: String? = nil) throws -> String {
        let sub = path + "/" + name
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        if let owner {
            try FileManager.default.setAttributes([.ownerAccountName: owner], ofItemAtPath: sub)
        }
        return sub
    }

    func write(_ text: String, to name: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        if ProcessInfo.processInfo.environment["RELAYGUARD_E2E_KEEP"] == "1" {
            return
        }
        try? FileManager.default.removeItem(atPath: path)
    }
}
