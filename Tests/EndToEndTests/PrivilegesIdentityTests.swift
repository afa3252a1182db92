import Foundation
import Testing

/// The whole identity of a `relayguard run` started as root, read from /proc/PID/status: uid, gid and supplementary
/// groups after the drop to `user`, and root kept with `--allow-root`.
@Suite("Privileges: the identity of the running process")
struct PrivilegesIdentityTests {
    /// The id fields of /proc/PID/status: `Uid:` and `Gid:` (real, effective, saved, filesystem) and `Groups:`.
    static func identity(of pid: Int32) throws -> (uid: [String], gid: [String], groups: [String]) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> [String] {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return line.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).map(String.init)
        }
        return (field("Uid"), field("Gid"), field("Groups"))
    }

    /// Starts `relayguard run` as root on a unix socket in a fresh directory, with `config` after the socket line
    /// and `arguments` after `run`, waits until it listens, and hands the process and socket path to `body`.
    static func withRootRun(
        config: String, arguments: [String] = [], _ body: (ChildProcess, String) async throws -> Void
    ) async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-identity")
        defer { directory.remove() }
        // The socket is bound as the service account (PrivilegesTests): its directory is nobody's.
        let socket = try directory.subdirectory("socket", owner: "nobody") + "/milter.sock"
        let path = try directory.write("socket = unix:\(socket)\n" + config, to: "relayguard.conf")
        // Through env -u, so that an inherited RELAYGUARD_ALLOW_ROOT=1 (scripts/test) does not decide for the test.
        let milter = try ChildProcess("/usr/bin/env", ["-u", "RELAYGUARD_ALLOW_ROOT", try RelayGuardProcess.binaryPath(), "run"]
            + arguments + ["--config", path])
        do {
            try await waitUntil("relayguard to listen\n\(milter.output())") {
                guard milter.isRunning else { throw HarnessError("relayguard exited\n\(milter.output())") }
                return milter.output().contains(" listening on ")
            }
            try await body(milter, socket)
        } catch {
            await milter.stop()
            milter.discardOutputFiles()
            throw error
        }
        await milter.stop()
        milter.discardOutputFiles()
    }

    /// The process is relayguard itself: env execs it, so the pid is the same.
    @Test("user = nobody: uid, gid and supplementary groups are nobody's; none of root's groups is kept")
    func droppedIdentity() async throws {
        let groups = try await runCommand("/usr/bin/id", ["-G", "nobody"])
        let expectedGroups = groups.stdout.split(whereSeparator: \.isWhitespace).map(String.init).sorted()
        #expect(!expectedGroups.isEmpty, "\(groups.summary)")
        try await Self.withRootRun(config: "user = nobody\n") { milter, _ in
            let identity = try Self.identity(of: milter.processIdentifier)
            #expect(identity.uid == ["65534", "65534", "65534", "65534"], "\(identity)")
            #expect(identity.gid == ["65534", "65534", "65534", "65534"], "\(identity)")
            #expect(identity.groups.sorted() == expectedGroups, "\(identity)")
            #expect(!identity.groups.contains("0"), "\(identity)")
        }
    }

    @Test("--allow-root without user: listens and stays root (uid and gid 0)")
    func allowRoot() async throws {
        try await Self.withRootRun(config: "", arguments: ["--allow-root"]) { milter, socket in
            let identity = try Self.identity(of: milter.processIdentifier)
            #expect(identity.uid == ["0", "0", "0", "0"], "\(identity)")
            #expect(identity.gid == ["0", "0", "0", "0"], "\(identity)")
            #expect(!milter.output().contains("running as user"), "\(milter.output())")
            let attributes = try FileManager.default.attributesOfItem(atPath: socket)
            #expect(attributes[.ownerAccountName] as? String == "root")
            #expect((attributes[.type] as? FileAttributeType) == .typeSocket)
        }
    }
}
