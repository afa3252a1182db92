#if canImport(Glibc)
import Glibc
#endif

/// Running as root only as long as it takes to open the socket, as opendkim's `-u` does.
///
/// `relayguard run` started as root with `user = NAME` opens the milter socket (and the metrics listener), hands a
/// unix socket to that user, then takes the user's supplementary groups, group and uid, in that order (after
/// `setuid` it could no longer change groups). Started as root without `user`, it refuses unless `--allow-root`.
public enum Privileges {
    /// A user from the password database.
    public struct Account: Sendable, Equatable {
        public let name: String
        public let uid: uid_t
        public let gid: gid_t
    }

    /// What `run` does about root, decided before anything is opened so that a mistake costs nothing.
    public enum Plan: Sendable, Equatable {
        /// Not root, or root with `--allow-root` and no `user`: stay as we are.
        case stay
        /// Root with `user`: drop to this account after opening the socket.
        case drop(to: Account)
    }

    /// Decides from the effective uid, the `user` setting and `--allow-root`.
    public static func plan(user: String?, allowRoot: Bool, effectiveUID: uid_t = geteuid()) throws(PrivilegeError) -> Plan {
        guard let user else {
            if effectiveUID == 0, !allowRoot { throw .runningAsRoot }
            return .stay
        }
        let account = try lookUp(user)
        if effectiveUID == 0 { return .drop(to: account) }
        // Already unprivileged (systemd's User=, or setpriv): fine if that is the user asked for.
        guard account.uid == effectiveUID else {
            throw PrivilegeError(operation: "user", detail: "user = \(user) needs RelayGuard to start as root (it runs as uid \(effectiveUID))")
        }
        return .stay
    }

    /// The account called `name`, from `getpwnam_r`.
    public static func lookUp(_ name: String) throws(PrivilegeError) -> Account {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else {
            throw PrivilegeError(operation: "getpwnam_r", detail: "no user \"\(name)\"" + (status == 0 ? "" : " (\(describe(status)))"))
        }
        return Account(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// Hands the unix socket at `path` to `account`: the user as owner, and as group the socket directory's group
    /// when that directory is set-group-ID (the Debian package's layout, group postfix), else the user's group.
    public static func handOver(socket path: String, to account: Account) throws(PrivilegeError) {
        var group = account.gid
        var directory = stat()
        let parent = path.lastIndex(of: "/").map { String(path[..<$0]) }.flatMap { $0.isEmpty ? "/" : $0 } ?? "."
        if stat(parent, &directory) == 0, directory.st_mode & S_ISGID != 0 {
            group = directory.st_gid
        }
        guard chown(path, account.uid, group) == 0 else {
            throw PrivilegeError(operation: "chown", detail: "\(path) to \(account.name) (\(describe(errno)))")
        }
    }

    /// Becomes `account` for good: supplementary groups, group, user; then checks that root cannot come back.
    public static func drop(to account: Account) throws(PrivilegeError) {
        guard initgroups(account.name, account.gid) == 0 else {
            throw PrivilegeError(operation: "initgroups", detail: "\(account.name) (\(describe(errno)))")
        }
        guard setgid(account.gid) == 0 else {
            throw PrivilegeError(operation: "setgid", detail: "\(account.gid) (\(describe(errno)))")
        }
        guard setuid(account.uid) == 0 else {
            throw PrivilegeError(operation: "setuid", detail: "\(account.uid) (\(describe(errno)))")
        }
        if account.uid != 0, setuid(0) == 0 {
            throw PrivilegeError(operation: "setuid", detail: "root could be regained after dropping to \(account.name)")
        }
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// Why `run` would not, or could not, change its privileges. The description names the system call.
public struct PrivilegeError: Error, Equatable, CustomStringConvertible {
    public let operation: String
    public let detail: String

    /// Started as root with neither `user` nor `--allow-root`.
    public static let runningAsRoot = PrivilegeError(
        operation: "user",
        detail: "refusing to run as root: set user = NAME in the config file (RelayGuard drops to it after opening the socket), or pass --allow-root"
    )

    public var description: String {
        operation == "user" ? detail : "\(operation): \(detail)"
    }
}
