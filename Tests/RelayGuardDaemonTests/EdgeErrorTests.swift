#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RelayGuardConfig
import SystemPackage
import Testing

@testable import RelayGuardDaemon

/// The system edge's errors: one errno path (`SystemCallError`), and typed refusals whose case decides the exit status.
@Suite("System edge: errno failures and start refusals")
struct EdgeErrorTests {
    @Test("a failed call names the function, its subject and the errno, as one description")
    func systemCallError() {
        #expect(throws: SystemCallError("read", errno: .badFileDescriptor, subject: "policy connection")) {
            var byte: UInt8 = 0
            try SystemCallError.check("read", subject: "policy connection") { read(-1, &byte, 1) }
        }
        #expect("\(SystemCallError("setgid", errno: .notPermitted, subject: "gid 998"))"
            == "setgid failed: gid 998 (Operation not permitted)")
        #expect("\(SystemCallError("getgroups", errno: .invalidArgument))" == "getgroups failed: Invalid argument")
    }

    @Test("the root decision: refusals by case, each with its exit status", arguments: [
        (nil, false, 0, StartRefusal.runningAsRoot, 77),
        ("root", false, 0, .userIsRoot(user: "root"), 77),
        ("nobody", false, 4242, .needsRoot(user: "nobody", uid: 4242), 71),
        ("no-such-user-relayguard", false, 0, .noSuchUser("no-such-user-relayguard"), 71),
    ] as [(String?, Bool, UInt32, StartRefusal, Int32)])
    func refusals(user: String?, allowRoot: Bool, uid: UInt32, expected: StartRefusal, status: Int32) {
        #expect(throws: expected) { try Privileges.plan(user: user, allowRoot: allowRoot, effectiveUID: uid) }
        #expect(expected.exitStatus == status)
    }

    @Test("root with --allow-root stays; root with an unprivileged user drops to it")
    func plans() throws {
        #expect(try Privileges.plan(user: nil, allowRoot: true, effectiveUID: 0) == .stay)
        guard case .drop(let account) = try Privileges.plan(user: "nobody", allowRoot: false, effectiveUID: 0) else {
            Issue.record("no drop planned")
            return
        }
        #expect(account.name == "nobody" && account.uid != 0)
    }

    @Test("a unix socket's directory must exist and not be world-writable; an inet socket has none")
    func socketDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relayguard-socketdir-\(UUID())").path
        #expect(throws: StartRefusal.socketDirectoryMissing(directory)) {
            try SocketDirectory.check(.unix(path: directory + "/milter.sock"))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(chmod(directory, 0o750) == 0)
        try SocketDirectory.check(.unix(path: directory + "/milter.sock"))
        #expect(chmod(directory, 0o1777) == 0)
        #expect {
            try SocketDirectory.check(.unix(path: directory + "/milter.sock"))
        } throws: { error in
            guard case .socketDirectoryWorldWritable(directory, _) = error as? StartRefusal else { return false }
            return "\(error)".contains("socket directory \(directory) is world-writable (mode 1777)")
        }
        try SocketDirectory.check(.inet(port: 8894, host: "127.0.0.1"))
    }
}
