import Foundation
import Testing

/// The Debian package, installed on this machine: files, user, the installed binary and unit, a rejection through a
/// private Postfix over the packaged unix socket; an upgrade to a newer version with a changed conffile, remove
/// without purge, reinstall (and the rejection again), then purge. Without a running systemd (this machine, CI) the
/// maintainer scripts' start, restart and stop are not exercised: see packaging/README.md.
///
/// This test changes the machine (a package, a system user and group that purge keeps by design, the socket
/// directory under /var/spool/postfix). It refuses to run when relayguard is already installed rather than replace an
/// admin's package, and it is the only test that touches dpkg, /etc/relayguard or /var/spool/postfix/relayguard, so
/// it cannot collide with the other end-to-end tests, which use their own temporary directories and ports. A lock
/// file serializes it with the same test in other `swift test` processes on this machine.
///
/// The .deb is `RELAYGUARD_DEB` when set, else `scripts/build-deb` is run (incremental: seconds when the release
/// build in .build-pkg is up to date, about 4 minutes from scratch).
@Suite("The Debian package", .serialized)
struct PackageTests {
    static let socketPath = "/var/spool/postfix/relayguard/relayguard.sock"
    static let policySocketPath = "/var/spool/postfix/relayguard/policy.sock"
    static let installedFiles = [
        "/usr/sbin/relayguard",
        "/etc/relayguard/relayguard.conf",
        "/usr/lib/systemd/system/relayguard.service",
        "/usr/lib/tmpfiles.d/relayguard.conf",
        "/usr/share/man/man8/relayguard.8.gz",
        "/usr/share/man/man5/relayguard.conf.5.gz",
        "/usr/share/doc/relayguard/examples/gateway-unix-socket.cf",
        "/usr/share/doc/relayguard/examples/gateway-policy-unix.cf",
    ]

    static let conffile = "/etc/relayguard/relayguard.conf"
    /// What the admin adds to the conffile before the upgrade; it must survive upgrade, remove and reinstall.
    static let adminChange = "\n# added by the admin (PackageTests)\nrelay_clients = 192.0.2.0/24\n"
    /// deb-systemd-helper's enablement link (the unit's WantedBy=) and its mask, made without a running systemd.
    static let enabledLink = "/etc/systemd/system/multi-user.target.wants/relayguard.service"
    static let maskLink = "/etc/systemd/system/relayguard.service"

    @Test("install, run behind Postfix, upgrade (changed conffile kept), remove (config kept), reinstall, purge")
    func lifecycle() async throws {
        guard geteuid() == 0 else { throw HarnessError("the package test installs a .deb and must run as root") }
        // Several `swift test` runs in one checkout (other scratch paths) would each run this test: one at a time.
        let lock = try await MachineLock.acquire("/run/lock/relayguard-package-test.lock")
        defer { lock.release() }
        let status = try await run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "relayguard"])
        guard !status.stdout.contains("install ok installed") else {
            throw HarnessError("relayguard is already installed on this machine; the package test would purge it. "
                + "Remove it (apt-get purge relayguard) to run this test.")
        }
        let deb = try await Self.debianPackage()
        let scratch = try TemporaryDirectory(prefix: "relayguard-package-upgrade")
        defer { scratch.remove() }

        do {
            try await install(deb)
            let version = try await installedVersion()
            try await checkInstalled()
            #expect(Self.link(Self.enabledLink) != nil, "the unit is not enabled after install")
            try await rejectThroughPostfix()

            // Upgrade to a newer version of the same package after the admin changed the conffile: dpkg keeps the
            // admin's file without asking, since the package's own copy did not change.
            let original = try String(contentsOfFile: Self.conffile, encoding: .utf8)
            try (original + Self.adminChange).write(toFile: Self.conffile, atomically: false, encoding: .utf8)
            let newer = try await Self.repack(deb, version: version + "+upgrade1", in: scratch)
            try await install(newer)
            #expect(try await installedVersion() == version + "+upgrade1")
            #expect(try String(contentsOfFile: Self.conffile, encoding: .utf8) == original + Self.adminChange)
            #expect(!FileManager.default.fileExists(atPath: Self.conffile + ".dpkg-dist"))
            #expect(Self.link(Self.enabledLink) != nil, "the unit is no longer enabled after the upgrade")
            let check = try await run("/usr/sbin/relayguard", ["check-config"])
            #expect(check.exitCode == 0, "\(check.summary)")

            // Remove without purge: the program and the unit go, the config stays, the unit is masked.
            let remove = try await run("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "remove", "-y", "-q", "relayguard"], timeout: .seconds(120))
            #expect(remove.exitCode == 0, "\(remove.summary)")
            let removed = try await run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "relayguard"])
            #expect(removed.stdout == "deinstall ok config-files", "\(removed.summary)")
            for file in Self.installedFiles where file != Self.conffile {
                #expect(!FileManager.default.fileExists(atPath: file), "\(file) is still there after remove")
            }
            #expect(try String(contentsOfFile: Self.conffile, encoding: .utf8) == original + Self.adminChange)
            #expect(Self.link(Self.maskLink) == "/dev/null", "the unit is not masked after remove")
            #expect(try await run("/usr/bin/getent", ["passwd", "relayguard"]).exitCode == 0, "the user went with remove")

            // Reinstall: the kept config is used as is, the unit unmasked and enabled, and the milter works.
            try await install(newer)
            #expect(try String(contentsOfFile: Self.conffile, encoding: .utf8) == original + Self.adminChange)
            #expect(Self.link(Self.maskLink) == nil, "the unit is still masked after reinstall")
            #expect(Self.link(Self.enabledLink) != nil, "the unit is not enabled after reinstall")
            try await checkInstalled()
            try await rejectThroughPostfix()
        } catch {
            _ = try? await purge()
            throw error
        }
        try await purge()
    }

    private func install(_ deb: String) async throws {
        let install = try await run("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends", deb], timeout: .seconds(300))
        #expect(install.exitCode == 0, "\(install.summary)")
        let status = try await run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "relayguard"])
        guard status.stdout == "install ok installed" else {
            throw HarnessError("relayguard is not installed after apt-get install \(deb)\n\(install.summary)\n\(status.summary)")
        }
    }

    private func installedVersion() async throws -> String {
        try await run("/usr/bin/dpkg-query", ["-W", "-f=${Version}", "relayguard"]).stdout
    }

    /// The target of the symbolic link at `path`, nil when there is none.
    static func link(_ path: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    /// The same package with `version` in its control file: a newer version without a second 4-minute build.
    static func repack(_ deb: String, version: String, in directory: TemporaryDirectory) async throws -> String {
        let tree = directory.path + "/tree"
        let extract = try await runCommand("/usr/bin/dpkg-deb", ["-R", deb, tree])
        guard extract.exitCode == 0 else { throw HarnessError("dpkg-deb -R failed\n\(extract.summary)") }
        let control = tree + "/DEBIAN/control"
        let text = try String(contentsOfFile: control, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("Version: ") ? "Version: " + version : String($0) }
        try lines.joined(separator: "\n").write(toFile: control, atomically: false, encoding: .utf8)
        let newer = directory.path + "/relayguard_\(version)_newer.deb"
        let build = try await runCommand("/usr/bin/dpkg-deb", ["--root-owner-group", "-Zxz", "--build", tree, newer], timeout: .seconds(120))
        guard build.exitCode == 0 else { throw HarnessError("dpkg-deb --build failed\n\(build.summary)") }
        return newer
    }

    /// Files, conffile, user, socket directory, the installed binary, unit and config.
    private func checkInstalled() async throws {
        for file in Self.installedFiles {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) is missing")
        }
        let conffiles = try await run("/usr/bin/dpkg-query", ["-W", "-f=${Conffiles}", "relayguard"])
        #expect(conffiles.stdout.contains("/etc/relayguard/relayguard.conf"), "\(conffiles.summary)")

        let user = try await run("/usr/bin/getent", ["passwd", "relayguard"])
        #expect(user.exitCode == 0 && user.stdout.contains("/usr/sbin/nologin"), "\(user.summary)")
        let directory = try FileManager.default.attributesOfItem(atPath: "/var/spool/postfix/relayguard")
        #expect(directory[.ownerAccountName] as? String == "relayguard")
        #expect(directory[.groupOwnerAccountName] as? String == "relayguard")
        #expect((directory[.posixPermissions] as? Int).map { $0 & 0o7777 } == 0o750)
        let postfixGroups = try await run("/usr/bin/id", ["-nG", "postfix"])
        #expect(postfixGroups.stdout.split(whereSeparator: \.isWhitespace).contains("relayguard"), "\(postfixGroups.summary)")

        let check = try await run("/usr/sbin/relayguard", ["check-config"])
        #expect(check.exitCode == 0, "\(check.summary)")
        #expect(check.stdout.contains("/etc/relayguard/relayguard.conf: OK"), "\(check.summary)")

        // Every key of the table is in the shipped file (set or commented out with its default).
        let empty = try TemporaryDirectory(prefix: "relayguard-package")
        defer { empty.remove() }
        let shown = try await run("/usr/sbin/relayguard", ["show-config", "--config", try empty.write("", to: "empty.conf")])
        let keys = shown.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").first }
        let shipped = try String(contentsOfFile: "/etc/relayguard/relayguard.conf", encoding: .utf8)
            .split(separator: "\n").map { $0.hasPrefix("#") ? $0.dropFirst() : $0 }
        #expect(!keys.isEmpty, "\(shown.summary)")
        for key in keys {
            #expect(shipped.contains { $0.hasPrefix(key + " =") }, "relayguard.conf lacks \(key)")
        }
        // The one unit serves the policy service too, next to the milter socket in Postfix's chroot.
        let set = try String(contentsOfFile: "/etc/relayguard/relayguard.conf", encoding: .utf8).split(separator: "\n")
        #expect(set.contains("policy_socket = unix:\(Self.policySocketPath)"), "the conffile does not set policy_socket")
        let example = try String(contentsOfFile: "/usr/share/doc/relayguard/examples/gateway-policy-unix.cf", encoding: .utf8)
        #expect(example.contains("check_policy_service unix:relayguard/policy.sock,"), "\(example)")

        // Only libmilter and the libc family stay dynamic: the Swift runtime is linked in.
        let ldd = try await run("/usr/bin/ldd", ["/usr/sbin/relayguard"])
        let libraries = ldd.stdout.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) }
        let allowed = ["linux-vdso.so.1", "libmilter.so.1.0.1", "libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "/lib64/ld-linux-x86-64.so.2"]
        #expect(!libraries.isEmpty && libraries.allSatisfy(allowed.contains), "\(ldd.stdout)")

        let verify = try await run("/usr/bin/systemd-analyze", ["verify", "/usr/lib/systemd/system/relayguard.service"])
        #expect(verify.exitCode == 0 && verify.stderr.isEmpty, "\(verify.summary)")
    }

    /// Starts the installed binary as the unit does (its `ExecStart=`, as its `User=`), then sends an IMCEA
    /// recipient through a private Postfix whose `smtpd_milters` is the packaged socket.
    private func rejectThroughPostfix() async throws {
        let unit = try String(contentsOfFile: "/usr/lib/systemd/system/relayguard.service", encoding: .utf8)
        let execStart = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
            .dropFirst("ExecStart=".count).split(separator: " ").map(String.init)
        #expect(unit.contains("\nUser=relayguard\n"))
        let milter = try ChildProcess(
            "/usr/bin/setpriv", ["--reuid=relayguard", "--regid=relayguard", "--init-groups", "--"] + execStart)
        do {
            try await waitUntil("the installed relayguard to create \(Self.socketPath) and \(Self.policySocketPath)\n\(milter.output())") {
                guard milter.isRunning else { throw HarnessError("relayguard exited\n\(milter.output())") }
                return FileManager.default.fileExists(atPath: Self.socketPath)
                    && FileManager.default.fileExists(atPath: Self.policySocketPath)
            }
            for path in [Self.socketPath, Self.policySocketPath] {
                let socket = try FileManager.default.attributesOfItem(atPath: path)
                #expect((socket[.posixPermissions] as? Int).map { $0 & 0o777 } == 0o660, "\(path)")
                #expect(socket[.ownerAccountName] as? String == "relayguard", "\(path)")
                #expect(socket[.groupOwnerAccountName] as? String == "relayguard", "\(path)")
            }

            let options = PostfixOptions(parameters: [
                "smtpd_milters": "unix:" + Self.socketPath,
                "milter_default_action": "tempfail",
                "milter_protocol": "6",
            ])
            try await withPostfix(options) { postfix in
                let result = try await Swaks.send(
                    to: postfix, from: "package@outside.example", recipients: [Recipients.imcea, Recipients.alice],
                    client: Clients.outside)
                let refused = try #require(result.reply(for: Recipients.imcea), "\(result.output.stdout)")
                #expect(refused.code == 550, "\(refused)\n\(milter.output())\n\(postfix.maillog())")
                #expect(refused.text.contains("encapsulated or routed address rejected"), "\(refused)")
                #expect(result.reply(for: Recipients.alice)?.code == 250, "\(result.output.stdout)")
                try await postfix.waitForQueueToDrain()
            }
            // The same run's policy socket, asked by smtpd (as postfix, through group relayguard) first in
            // smtpd_relay_restrictions: the refusal is the policy service's (smtpd's "Recipient address rejected").
            let policy = PostfixOptions(parameters: [
                "smtpd_relay_restrictions": "check_policy_service unix:\(Self.policySocketPath), permit_mynetworks, "
                    + "reject_unauth_destination",
            ])
            try await withPostfix(policy) { postfix in
                let result = try await Swaks.send(
                    to: postfix, from: "package-policy@outside.example", recipients: [Recipients.imcea, Recipients.alice],
                    client: Clients.outside)
                let refused = try #require(result.reply(for: Recipients.imcea), "\(result.output.stdout)")
                #expect(refused.code == 550, "\(refused)\n\(milter.output())\n\(postfix.maillog())")
                #expect(refused.text.contains("Recipient address rejected: encapsulated or routed address rejected"), "\(refused)")
                #expect(result.reply(for: Recipients.alice)?.code == 250, "\(result.output.stdout)")
                try await postfix.waitForQueueToDrain()
            }
        } catch {
            await milter.stop(grace: .seconds(6))
            milter.discardOutputFiles()
            throw error
        }
        // SIGTERM: libmilter returns within ~5 s and removes the socket.
        await milter.stop(grace: .seconds(8))
        milter.discardOutputFiles()
    }

    private func purge() async throws {
        let purge = try await run("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "purge", "-y", "-q", "relayguard"], timeout: .seconds(120))
        #expect(purge.exitCode == 0, "\(purge.summary)")
        let status = try await run("/usr/bin/dpkg-query", ["-W", "-f=${Status}", "relayguard"])
        #expect(!status.stdout.contains("installed") || status.stdout.contains("not-installed"), "\(status.summary)")
        for path in Self.installedFiles + ["/etc/relayguard", "/var/spool/postfix/relayguard"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) is still there after purge")
        }
        #expect(Self.link(Self.enabledLink) == nil, "\(Self.enabledLink) is still there after purge")
        #expect(Self.link(Self.maskLink) == nil, "\(Self.maskLink) is still there after purge")
    }

    private func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> CommandResult {
        try await runCommand(executable, arguments, timeout: timeout)
    }

    /// `RELAYGUARD_DEB`, or the package `scripts/build-deb` builds from this checkout.
    static func debianPackage() async throws -> String {
        if let deb = ProcessInfo.processInfo.environment["RELAYGUARD_DEB"], !deb.isEmpty {
            return URL(fileURLWithPath: deb).path
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let build = try await runCommand(root.appendingPathComponent("scripts/build-deb").path, [], timeout: .seconds(1800))
        guard build.exitCode == 0,
              let line = build.stdout.split(separator: "\n").first(where: { $0.hasPrefix("built ") }),
              let path = line.dropFirst("built ".count).split(separator: " ").first
        else {
            throw HarnessError("scripts/build-deb failed\n\(build.summary)")
        }
        return String(path)
    }
}

/// An exclusive `flock` on a file, held across processes until `release` (closing the file releases it).
final class MachineLock: Sendable {
    private let fd: Int32

    static func acquire(_ path: String, timeout: Duration = .seconds(3600)) async throws -> MachineLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HarnessError("open(\(path)) failed: errno \(errno)") }
        do {
            try await waitUntil("the lock \(path), held by another test run", timeout: timeout, interval: .milliseconds(200)) {
                flock(fd, LOCK_EX | LOCK_NB) == 0
            }
        } catch {
            close(fd)
            throw error
        }
        return MachineLock(fd: fd)
    }

    private init(fd: Int32) { self.fd = fd }

    func release() { flock(fd, LOCK_UN) }

    deinit { close(fd) }
}
