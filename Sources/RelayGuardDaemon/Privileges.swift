#if canImport(Glibc)
import Glibc
#endif

/// Running as root only as long as it takes to open the socket, as opendkim's `-u` does.
///
/// `relayguard run` started as root with `user = NAME` opens the milter socket (a unix socket as that user, see
/// `asAccount`) and the metrics listener, then takes the user's supplementary groups, group and uid, in that order
/// (after `setuid` it could no longer change groups). Started as root without `user`, it refuses unless `--allow-root`.
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
        // `user = root` (or any uid 0 account) would "drop" to root: the same as no user at all.
        if effectiveUID == 0, account.uid == 0 {
            guard allowRoot else { throw .userIsRoot(user) }
            return .stay
        }
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

    /// Runs `body` with `account`'s effective user, group and supplementary groups, then becomes root again (the
    /// real and saved uid stay 0, so nothing else can signal or trace the process meanwhile).
    ///
    /// Root binds the milter's unix socket this way, in a directory the account owns: the socket is born the
    /// account's (its group the directory's when that is set-group-ID), and every path there is resolved with the
    /// account's rights. A `chown` by root after the bind would follow whatever the account put at that path in the
    /// meantime, such as a symbolic link to a root-owned file; and `fstatat` then `fchownat(AT_SYMLINK_NOFOLLOW)`
    /// still leaves a window (a hard link swapped in) that libmilter, which does not say which inode it bound, gives no
    /// way to close. The same switch answers whether the account can read the config file (`canReload`).
    public static func asAccount<T>(_ account: Account, _ body: () throws -> T) throws -> T {
        var saved = [gid_t](repeating: 0, count: Int(max(getgroups(0, nil), 0)))
        guard getgroups(Int32(saved.count), &saved) >= 0 else {
            throw PrivilegeError(operation: "getgroups", detail: describe(errno))
        }
        let savedGID = getegid()
        let groups = try groupList(of: account)
        guard setgroups(groups.count, groups) == 0 else {
            throw PrivilegeError(operation: "setgroups", detail: "groups of \(account.name) (\(describe(errno)))")
        }
        guard setegid(account.gid) == 0 else {
            let detail = "\(account.gid) (\(describe(errno)))"
            _ = setgroups(saved.count, saved)
            throw PrivilegeError(operation: "setegid", detail: detail)
        }
        guard seteuid(account.uid) == 0 else {
            let detail = "\(account.uid) (\(describe(errno)))"
            _ = setegid(savedGID)
            _ = setgroups(saved.count, saved)
            throw PrivilegeError(operation: "seteuid", detail: detail)
        }
        let result = Result { try body() }
        // Back to root in the reverse order: the group calls need euid 0.
        guard seteuid(0) == 0, setegid(savedGID) == 0, setgroups(saved.count, saved) == 0 else {
            throw PrivilegeError(operation: "seteuid", detail: "could not return to root after acting as \(account.name) (\(describe(errno)))")
        }
        return try result.get()
    }

    /// The account's group and supplementary groups, as `initgroups` will set them.
    static func groupList(of account: Account) throws(PrivilegeError) -> [gid_t] {
        var count: Int32 = 32
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(account.name, account.gid, &groups, &found) >= 0 {
                return Array(groups.prefix(Int(found)))
            }
            guard found > count else {
                throw PrivilegeError(operation: "getgrouplist", detail: account.name)
            }
            count = found
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

    /// `user` names root (or another uid 0 account) and `--allow-root` was not given.
    public static func userIsRoot(_ user: String) -> PrivilegeError {
        PrivilegeError(
            operation: "user",
            detail: "refusing to run as root: user = \(user) is uid 0; set user to an unprivileged account, or pass --allow-root"
        )
    }

    /// A refusal to keep root (exit 77), rather than a failure of a system call.
    public var isRootRefusal: Bool {
        operation == "user" && detail.hasPrefix("refusing to run as root")
    }

    public var description: String {
        operation == "user" ? detail : "\(operation): \(detail)"
    }
}
