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

    /// `user = root` "dropped" to root and so walked past the --allow-root guard.
    @Test("user = root: refused with exit 77 like root without user; with --allow-root it runs")
    func userRoot() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-privileges")
        defer { directory.remove() }
        let socket = directory.path + "/refused.sock"
        let path = try directory.write("socket = unix:\(socket)\nuser = root\n", to: "relayguard.conf")
        let result = try await runCommand("/usr/bin/env", ["-u", "RELAYGUARD_ALLOW_ROOT", try RelayGuardProcess.binaryPath(), "run", "--config", path])
        #expect(result.exitCode == 77, "\(result.summary)")
        #expect(result.stderr.contains("refusing to run as root: user = root is uid 0"), "\(result.summary)")
        #expect(!FileManager.default.fileExists(atPath: socket))

        let milter = try ChildProcess("/usr/bin/env", ["-u", "RELAYGUARD_ALLOW_ROOT", try RelayGuardProcess.binaryPath(), "run", "--config", path, "--allow-root"])
        defer { milter.discardOutputFiles() }
        do {
            try await waitUntil("relayguard to listen as root with --allow-root\n\(milter.output())") {
                guard milter.isRunning else { throw HarnessError("relayguard exited\n\(milter.output())") }
                return milter.output().contains("listening on unix:\(socket)")
            }
            let status = try String(contentsOfFile: "/proc/\(milter.processIdentifier)/status", encoding: .utf8)
            #expect(status.contains("Uid:\t0\t0\t0\t0"), "\(status)")
        } catch {
            await milter.stop()
            throw error
        }
        await milter.stop()
    }

    @Test("user = nobody: the socket is handed over, then the process runs as nobody")
    func dropsToUser() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-privileges")
        defer { directory.remove() }
        // As the package lays it out: the socket directory belongs to the service account, which creates the socket.
        let socket = try directory.subdirectory("socket", owner: "nobody") + "/milter.sock"
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

    /// A config only root can read loaded at start, and every reload after the drop failed with "permission denied":
    /// a revoked relay_clients entry never took effect. Now the start is refused, naming the file and the user.
    @Test("a config or an included file the user cannot read: exit 78 before opening the socket", arguments: ["config", "include"])
    func unreadableByUser(what: String) async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-privileges")
        defer { directory.remove() }
        let socket = try directory.subdirectory("socket", owner: "nobody") + "/milter.sock"
        let list = try directory.write("192.0.2.10\n", to: "clients.list")
        let path = try directory.write("socket = unix:\(socket)\nuser = nobody\nreroute = yes\nrelay_clients = file:clients.list\n",
                                       to: "relayguard.conf")
        let secret = what == "config" ? path : list
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret)

        let result = try await runCommand(try RelayGuardProcess.binaryPath(), ["run", "--config", path])
        #expect(result.exitCode == 78, "\(result.summary)")
        #expect(result.stderr.contains("user nobody cannot read the config"), "\(result.summary)")
        #expect(result.stderr.contains("\(secret)") && result.stderr.lowercased().contains("permission denied"), "\(result.summary)")
        #expect(!FileManager.default.fileExists(atPath: socket))

        // Readable by the user again (group nogroup, 0640): it starts.
        try FileManager.default.setAttributes([.groupOwnerAccountName: "nogroup", .posixPermissions: 0o640], ofItemAtPath: secret)
        let milter = try ChildProcess(try RelayGuardProcess.binaryPath(), ["run", "--config", path])
        defer { milter.discardOutputFiles() }
        do {
            try await waitUntil("relayguard to drop root\n\(milter.output())") {
                guard milter.isRunning else { throw HarnessError("relayguard exited\n\(milter.output())") }
                return milter.output().contains("running as user nobody")
            }
        } catch {
            await milter.stop()
            throw error
        }
        await milter.stop()
    }

    /// The service account owns the socket directory, so it can put a symbolic link where the socket was the moment
    /// libmilter has bound it. Root used to `chmod` and `chown` that path after the bind, following such a link: a
    /// root-owned 0600 file became `nobody:nogroup 0660` on the first try. Here a process running as nobody replaces
    /// the socket by a link to such a file in a tight loop while relayguard starts as root, several times over.
    @Test("a symbolic link raced in at the socket by the service account leaves its target untouched")
    func socketHandoverRace() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-privileges")
        defer { directory.remove() }
        let socketDirectory = try directory.subdirectory("socket", owner: "nobody")
        let socket = socketDirectory + "/milter.sock"
        let target = try directory.write("root's secret\n", to: "secret")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
        let path = try directory.write("socket = unix:\(socket)\nuser = nobody\n", to: "relayguard.conf")
        // One rename(2) puts a prepared link over the socket as soon as lstat sees one: the fastest the account can
        // act. lstat, not stat: only a socket is replaced, never the link itself.
        let racer = try ChildProcess("/usr/bin/setpriv", [
            "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/perl", "-e",
            #"$| = 1; my ($s, $t) = @ARGV; symlink($t, "$s.link"); while (1) { lstat($s); if (-S _ && rename("$s.link", $s)) { print "swapped\n"; symlink($t, "$s.link"); } }"#,
            socket, target,
        ])
        defer {
            racer.kill()
            racer.discardOutputFiles()
        }
        try await waitUntil("the racer to run as nobody") {
            guard racer.isRunning else { throw HarnessError("the racer exited\n\(racer.output())") }
            let status = (try? String(contentsOfFile: "/proc/\(racer.processIdentifier)/status", encoding: .utf8)) ?? ""
            return status.contains("Uid:\t65534\t65534\t65534\t65534")
        }

        for attempt in 1...Self.raceRounds {
            // A link left by the previous round would make relayguard refuse the path; start each round clean.
            try? FileManager.default.removeItem(atPath: socket)
            let swapped = racer.output().components(separatedBy: "swapped").count
            // Under strace every system call of relayguard stops for the tracer: the steps of its start take tens of
            // microseconds each instead of one, as on a loaded machine, while the racer runs at full speed.
            let milter = try ChildProcess("/usr/bin/strace", ["-f", "-qq", "-o", "/dev/null", try RelayGuardProcess.binaryPath(), "run", "--config", path])
            defer { Self.killTracee(of: milter) }
            do {
                try await waitUntil("relayguard to drop root (round \(attempt))\n\(milter.output())") {
                    guard milter.isRunning else { throw HarnessError("relayguard exited\n\(milter.output())") }
                    return milter.output().contains("running as user nobody")
                }
                try await waitUntil("the racer to replace the socket (round \(attempt))\n\(racer.output())") {
                    racer.output().components(separatedBy: "swapped").count > swapped
                }
            } catch {
                Self.killTracee(of: milter)
                await milter.stop()
                milter.discardOutputFiles()
                throw error
            }
            Self.killTracee(of: milter)
            await milter.stop()
            milter.discardOutputFiles()

            var status = stat()
            #expect(lstat(target, &status) == 0)
            #expect(status.st_uid == 0 && status.st_gid == 0, "round \(attempt): \(target) is now owned by \(status.st_uid):\(status.st_gid)")
            #expect(status.st_mode & 0o7777 == 0o600, "round \(attempt): \(target) is now mode \(String(status.st_mode & 0o7777, radix: 8))")
            var link = stat()
            #expect(lstat(socket, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK, "round \(attempt): no link at \(socket)")
        }
    }

    /// strace leaves its tracee running when it is stopped itself: kill relayguard first, by the pid strace started.
    static func killTracee(of tracer: ChildProcess) {
        let pid = tracer.processIdentifier
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        for child in children.split(separator: " ").compactMap({ Int32($0) }) { kill(child, SIGKILL) }
    }

    static let raceRounds = Int(ProcessInfo.processInfo.environment["RELAYGUARD_RACE_ROUNDS"] ?? "") ?? 10
}
