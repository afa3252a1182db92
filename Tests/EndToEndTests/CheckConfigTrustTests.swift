import Foundation
import Testing

/// `relayguard check-config` on the files issue 10 section 7 and issue 11 section 2 name: the binary's exit status
/// and its stderr, as an admin sees them.
@Suite("check-config: strict and trusted files")
struct CheckConfigTrustTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        /// Arranges the file in the directory and returns the path to check.
        let arrange: @Sendable (TemporaryDirectory) throws -> String
        let exitCode: Int32
        /// The whole stderr, `$D` standing for the directory.
        let stderr: String
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "an empty imcea_reroute_types warns", arrange: { try $0.write("imcea_reroute_types =\n", to: "relayguard.conf") },
            exitCode: 0,
            stderr: "$D/relayguard.conf:1: warning: imcea_reroute_types is empty: IMCEASMTP and IMCEAX400 recipients are reroute attempts only when their payload carries @, % or ! (the default is SMTP X400: those types are refused whatever they carry)\n"),
        Row(name: "/dev/null is not a regular file", arrange: { _ in "/dev/null" }, exitCode: 78,
            stderr: "/dev/null: cannot read config file: not a regular file (a character device)\n"),
        Row(name: "a FIFO is not a regular file, and is not waited on", arrange: { directory in
            let path = directory.path + "/relayguard.conf"
            guard mkfifo(path, 0o644) == 0 else { throw HarnessError("mkfifo: errno \(errno)") }
            return path
        }, exitCode: 78, stderr: "$D/relayguard.conf: cannot read config file: not a regular file (a FIFO)\n"),
        Row(name: "a symlinked config is judged by its target", arrange: { directory in
            let target = try directory.write("reroute = no\n", to: "real.conf")
            guard symlink(target, directory.path + "/relayguard.conf") == 0 else { throw HarnessError("symlink: errno \(errno)") }
            return directory.path + "/relayguard.conf"
        }, exitCode: 0, stderr: ""),
        Row(name: "a group-writable config is refused", arrange: { directory in
            let path = try directory.write("reroute = no\n", to: "relayguard.conf")
            guard chmod(path, 0o664) == 0 else { throw HarnessError("chmod: errno \(errno)") }
            return path
        }, exitCode: 78,
            stderr: "$D/relayguard.conf: group-writable (mode 664): members of group root could change the relay policy; run chmod g-w $D/relayguard.conf\n"),
        Row(name: "a NUL in a value names its line", arrange: { try $0.write("reroute = no\nlocal_domains = corp.test\u{0}evil.test\n", to: "relayguard.conf") },
            exitCode: 78,
            stderr: "$D/relayguard.conf:2: control character NUL (U+0000) in the line; only printable text, spaces and TABs are allowed: remove it\n"),
    ]

    @Test(arguments: rows)
    func checks(_ row: Row) async throws {
        let directory = try TemporaryDirectory(prefix: "relayguard-e2e-check")
        defer { directory.remove() }
        let path = try row.arrange(directory)
        let check = try await runCommand(try RelayGuardProcess.binaryPath(), ["check-config", "--config", path], timeout: .seconds(20))
        #expect(check.exitCode == row.exitCode, "\(check.summary)")
        #expect(check.stderr == row.stderr.replacingOccurrences(of: "$D", with: directory.path), "\(check.summary)")
    }
}
