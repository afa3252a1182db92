import Foundation
import Testing

/// `relayguard run` as root: refused without `user` or `--allow-root`; with `user` it drops after opening the socket.
@Suite("Privileges")
struct PrivilegesTests {
    @Test("root without user: exit 77 before opening the socket")
    func refusesRoot() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-privileges")
        defer { directory.remove() }
        let socket = directory.path + "/refused.sock"
        let path = try directory.write("socket = unix:\(socket)\n", to: "relayguard.conf")
        // Run through env -u so that an inherited RELAYGUARD_ALLOW_ROOT=1 (scripts/test) does not allow it.
        let result = try await runCommand("/usr/bin/env", ["-u", "RELAYGUARD_ALLOW_ROOT", try RelayGuardProcess.binaryPath(), "run", "--config", path])
        #expect(result.exitCode == 77, "\(result.summary)")
        #expect(result.stderr.contains("refusing to run as root"), "\(result.summary)")
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test("user = nobody: the socket is handed over, then the process runs as nobody")
    func dropsToUser() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-privileges")
        defer { directory.remove() }
        let socket = directory.path + "/milter.sock"
        let path = try directory.write("socket = unix:\(socket)\nuser = nobody\n", to: "relayguard.conf")
        let milter = try ChildProcess(try RelayGuardProcess.binaryPath(), ["run", "--config", path])
        do {
            try await waitUntil("relayguard to log that it dropped root\n\(milter.output())") {
                guard milter.isRunning else { throw HarnessError("relayguard exited\n\(milter.output())") }
                return milter.output().contains("running as user nobody")
            }
            let status = try String(contentsOfFile: "/proc/\(milter.processIdentifier)/status", encoding: .utf8)
            let uids = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(whereSeparator: \.isWhitespace).dropFirst()
            #expect(uids.map(Array.init) == ["65534", "65534", "65534", "65534"], "\(status)")
            let attributes = try FileManager.default.attributesOfItem(atPath: socket)
            #expect(attributes[.ownerAccountName] as? String == "nobody")
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o660)
        } catch {
            await milter.stop()
            milter.discardOutputFiles()
            throw error
        }
        await milter.stop()
        milter.discardOutputFiles()
    }
}
