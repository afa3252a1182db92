import Foundation
import RelayGuardConfig
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory under /tmp (sticky, root's) for one case, with the calls the cases arrange files with.
struct Scratch: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/rg-trust-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw ScratchError("mkdtemp: errno \(errno)") }
        path = String(cString: created)
        try chmod("", 0o755)
    }

    func at(_ name: String) -> String { name.isEmpty ? path : path + "/" + name }

    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
        try text.write(toFile: at(name), atomically: false, encoding: .utf8)
        try chmod(name, mode)
        return at(name)
    }

    @discardableResult
    func directory(_ name: String, mode: mode_t = 0o755) throws -> String {
        try FileManager.default.createDirectory(atPath: at(name), withIntermediateDirectories: false)
        try chmod(name, mode)
        return at(name)
    }

    @discardableResult
    func symlink(_ name: String, to target: String) throws -> String {
        guard Glibc.symlink(target, at(name)) == 0 else { throw ScratchError("symlink \(name): errno \(errno)") }
        return at(name)
    }

    func chmod(_ name: String, _ mode: mode_t) throws {
        // Explicit, so the umask never decides a case.
        guard Glibc.chmod(at(name), mode) == 0 else { throw ScratchError("chmod \(name): errno \(errno)") }
    }

    /// Gives `name` (the link itself, for a symlink) to nobody; only root can.
    func giveToNobody(_ name: String) throws {
        guard lchown(at(name), 65534, 65534) == 0 else { throw ScratchError("lchown \(name): errno \(errno)") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct ScratchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Issue 11 section 2: the config file, its includes and the directories on their paths are judged by what was
/// opened, as sendmail's safefile does. The owner cases hand files to `nobody`, so the suite runs as root (as
/// scripts/test does); the other cases hold for any user.
struct FileTrustTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        /// Arranges the files and returns the config file to load.
        let arrange: @Sendable (Scratch) throws -> String
        /// The one diagnostic expected, `$D` standing for the scratch directory; nil when the file must load.
        let expected: String?
        var testDescription: String { name }
    }

    static let include = "reroute = yes\nrelay_clients = file:peers/list.cidr\n"

    static let cases: [Case] = [
        Case(name: "a symlinked config whose target and directories are safe", arrange: { s in
            try s.directory("etc")
            try s.write("etc/real.conf", "reroute = no\n")
            return try s.symlink("relayguard.conf", to: "etc/real.conf")
        }, expected: nil),
        Case(name: "an absolute symlink through a symlinked directory, and ..", arrange: { s in
            try s.directory("etc")
            try s.directory("etc/sub")
            try s.write("etc/real.conf", "reroute = no\n")
            try s.symlink("linked", to: s.at("etc/sub"))
            return try s.symlink("relayguard.conf", to: s.at("linked/../real.conf"))
        }, expected: nil),
        Case(name: "a symlinked include whose target is safe", arrange: { s in
            try s.directory("peers")
            try s.write("peers/real.cidr", "192.0.2.0/24\n")
            try s.symlink("peers/list.cidr", to: "real.cidr")
            return try s.write("relayguard.conf", include)
        }, expected: nil),
        Case(name: "an include in a sticky world-writable directory, owned by root", arrange: { s in
            try s.directory("peers", mode: 0o1777)
            try s.write("peers/list.cidr", "192.0.2.0/24\n")
            return try s.write("relayguard.conf", include)
        }, expected: nil),
        Case(name: "a config owned by another account", arrange: { s in
            let path = try s.write("relayguard.conf", "reroute = no\n")
            try s.giveToNobody("relayguard.conf")
            return path
        }, expected: "$D/relayguard.conf: owned by nobody, not root: that account could change the relay policy; run chown root $D/relayguard.conf"),
        Case(name: "an include owned by another account", arrange: { s in
            try s.directory("peers")
            try s.write("peers/list.cidr", "192.0.2.0/24\n")
            try s.giveToNobody("peers/list.cidr")
            return try s.write("relayguard.conf", include)
        }, expected: "$D/relayguard.conf:2: relay_clients: included file \"$D/peers/list.cidr\": owned by nobody, not root: that account could change the relay policy; run chown root $D/peers/list.cidr"),
        Case(name: "a directory on the way owned by another account", arrange: { s in
            try s.directory("home")
            try s.write("home/relayguard.conf", "reroute = no\n")
            try s.giveToNobody("home")
            return s.at("home/relayguard.conf")
        }, expected: "$D/home/relayguard.conf: directory $D/home is owned by nobody, not root: that account could replace what is in it; run chown root $D/home"),
        Case(name: "an include in a world-writable directory without the sticky bit", arrange: { s in
            try s.directory("peers", mode: 0o777)
            try s.write("peers/list.cidr", "192.0.2.0/24\n")
            return try s.write("relayguard.conf", include)
        }, expected: "$D/relayguard.conf:2: relay_clients: included file \"$D/peers/list.cidr\": directory $D/peers is world-writable (mode 777) without the sticky bit: any local user could replace what is in it; run chmod o-w $D/peers"),
        Case(name: "a config in a group-writable directory without the sticky bit", arrange: { s in
            try s.directory("etc", mode: 0o775)
            return try s.write("etc/relayguard.conf", "reroute = no\n")
        }, expected: "$D/etc/relayguard.conf: directory $D/etc is group-writable (mode 775) without the sticky bit: members of group root could replace what is in it; run chmod g-w $D/etc"),
        Case(name: "a group-writable config", arrange: { s in
            try s.write("relayguard.conf", "reroute = no\n", mode: 0o664)
        }, expected: "$D/relayguard.conf: group-writable (mode 664): members of group root could change the relay policy; run chmod g-w $D/relayguard.conf"),
        Case(name: "a group-writable include", arrange: { s in
            try s.directory("peers")
            try s.write("peers/list.cidr", "192.0.2.0/24\n", mode: 0o660)
            return try s.write("relayguard.conf", include)
        }, expected: "$D/relayguard.conf:2: relay_clients: included file \"$D/peers/list.cidr\": group-writable (mode 660): members of group root could change the relay policy; run chmod g-w $D/peers/list.cidr"),
        Case(name: "a world-writable config", arrange: { s in
            try s.write("relayguard.conf", "reroute = no\n", mode: 0o666)
        }, expected: "$D/relayguard.conf: world-writable (mode 666): any local user could change the relay policy; run chmod o-w $D/relayguard.conf"),
        Case(name: "a symlink judged by its target, not its own mode 777", arrange: { s in
            try s.directory("open", mode: 0o777)
            try s.write("open/real.conf", "reroute = no\n")
            return try s.symlink("relayguard.conf", to: "open/real.conf")
        }, expected: "$D/relayguard.conf: directory $D/open is world-writable (mode 777) without the sticky bit: any local user could replace what is in it; run chmod o-w $D/open"),
        Case(name: "a symlink owned by another account in a sticky world-writable directory", arrange: { s in
            try s.directory("tmp", mode: 0o1777)
            try s.write("real.conf", "reroute = no\n")
            try s.symlink("tmp/relayguard.conf", to: s.at("real.conf"))
            try s.giveToNobody("tmp/relayguard.conf")
            return s.at("tmp/relayguard.conf")
        }, expected: "$D/tmp/relayguard.conf: symlink $D/tmp/relayguard.conf is owned by nobody in $D/tmp, which others can write: that account could point it elsewhere; replace it with a link owned by root"),
        Case(name: "a FIFO", arrange: { s in
            guard mkfifo(s.at("relayguard.conf"), 0o644) == 0 else { throw ScratchError("mkfifo: errno \(errno)") }
            return s.at("relayguard.conf")
        }, expected: "$D/relayguard.conf: cannot read config file: not a regular file (a FIFO)"),
        Case(name: "/dev/null", arrange: { _ in "/dev/null" },
             expected: "/dev/null: cannot read config file: not a regular file (a character device)"),
        Case(name: "a directory", arrange: { s in try s.directory("relayguard.conf") },
             expected: "$D/relayguard.conf: cannot read config file: is a directory"),
        Case(name: "a missing file", arrange: { s in s.at("missing.conf") },
             expected: "$D/missing.conf: cannot read config file: no such file"),
        Case(name: "a symlink loop", arrange: { s in
            try s.symlink("a", to: "b")
            return try s.symlink("b", to: "a")
        }, expected: "$D/b: cannot read config file: too many levels of symbolic links"),
    ]

    @Test(arguments: cases)
    func judgesWhatIsOpened(_ trustCase: Case) throws {
        try #require(getuid() == 0, "the owner cases give files to nobody: run as root, as scripts/test does")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = try trustCase.arrange(scratch)
        let result = Result { () throws(ConfigError) in try Configuration.load(path: path) }
        switch (result, trustCase.expected) {
        case (.success, nil):
            break
        case (.success, let expected?):
            Issue.record("loaded; expected \(expected)")
        case (.failure(let error), nil):
            Issue.record("refused: \(error)")
        case (.failure(let error), let expected?):
            let wanted = expected.replacingOccurrences(of: "$D", with: scratch.path)
            // reroute = yes is then also left without restrictions: keep only the file's own diagnostic.
            let lines = error.diagnostics.map(\.description).filter { !$0.contains("needs relay restrictions") }
            #expect(lines == [wanted])
        }
    }

    /// The running user, not root, is trusted when the process is not root: as that user, its own files load.
    @Test func trustsTheGivenAccounts() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.directory("home")
        let path = try scratch.write("home/relayguard.conf", "reroute = no\n")
        try scratch.giveToNobody("home/relayguard.conf")
        try scratch.giveToNobody("home")
        #expect(throws: ConfigError.self) { try Configuration.load(path: path) }
        #expect(try Configuration.load(path: path, trust: FileTrust(owners: [0, 65534])).policy.reroute == false)
    }
}
