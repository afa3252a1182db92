#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// Running as root only as long as it takes to open the socket, as opendkim's `-u` does.
///
/// `relayguard run` started as root with `user = NAME` opens the milter socket and `policy_socket` (a unix socket as
/// that user, see `asAccount`) and the metrics listener, then takes the user's supplementary groups, group and uid, in that order
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
    /// - Throws: `StartRefusal` for a setting `run` will not or cannot honour, `SystemCallError` when the password
    ///   database cannot be read.
    public static func plan(user: String?, allowRoot: Bool, effectiveUID: uid_t = geteuid()) throws -> Plan {
        guard let user else {
            if effectiveUID == 0, !allowRoot { throw StartRefusal.runningAsRoot }
            return .stay
        }
        let account = try lookUp(user)
        // `user = root` (or any uid 0 account) would "drop" to root: the same as no user at all.
        if effectiveUID == 0, account.uid == 0 {
            guard allowRoot else { throw StartRefusal.userIsRoot(user: user) }
            return .stay
        }
        if effectiveUID == 0 { return .drop(to: account) }
        // Already unprivileged (systemd's User=, or setpriv): fine if that is the user asked for.
        guard account.uid == effectiveUID else { throw StartRefusal.needsRoot(user: user, uid: effectiveUID) }
        return .stay
    }

    /// The account called `name`, from `getpwnam_r` (which returns its error number instead of setting errno).
    public static func lookUp(_ name: String) throws -> Account {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0 else {
            throw SystemCallError("getpwnam_r", errno: Errno(rawValue: status), subject: "user \"\(name)\"")
        }
        guard result != nil else { throw StartRefusal.noSuchUser(name) }
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
    /// way to close. The same switch answers whether the account can read the config file (`ReloadAccess`).
    public static func asAccount<T>(_ account: Account, _ body: () throws -> T) throws -> T {
        var saved = [gid_t](repeating: 0, count: Int(max(getgroups(0, nil), 0)))
        try SystemCallError.check("getgroups") { getgroups(Int32(saved.count), &saved) }
        let savedGID = getegid()
        let groups = try groupList(of: account)
        try SystemCallError.check("setgroups", subject: "groups of \(account.name)") { setgroups(groups.count, groups) }
        do {
            try SystemCallError.check("setegid", subject: "gid \(account.gid)") { setegid(account.gid) }
        } catch {
            _ = setgroups(saved.count, saved)
            throw error
        }
        do {
            try SystemCallError.check("seteuid", subject: "uid \(account.uid)") { seteuid(account.uid) }
        } catch {
            _ = setegid(savedGID)
            _ = setgroups(saved.count, saved)
            throw error
        }
        let result = Result { try body() }
        // Back to root in the reverse order: the group calls need euid 0.
        let subject = "returning to root after acting as \(account.name)"
        try SystemCallError.check("seteuid", subject: subject) { seteuid(0) }
        try SystemCallError.check("setegid", subject: subject) { setegid(savedGID) }
        try SystemCallError.check("setgroups", subject: subject) { setgroups(saved.count, saved) }
        return try result.get()
    }

    /// The account's group and supplementary groups, as `initgroups` will set them.
    static func groupList(of account: Account) throws(StartRefusal) -> [gid_t] {
        var count: Int32 = 32
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(account.name, account.gid, &groups, &found) >= 0 {
                return Array(groups.prefix(Int(found)))
            }
            guard found > count else { throw .groupsUnknown(user: account.name) }
            count = found
        }
    }

    /// Becomes `account` for good: supplementary groups, group, user; then checks that root cannot come back.
    public static func drop(to account: Account) throws {
        try SystemCallError.check("initgroups", subject: "user \(account.name)") { initgroups(account.name, account.gid) }
        try SystemCallError.check("setgid", subject: "gid \(account.gid)") { setgid(account.gid) }
        try SystemCallError.check("setuid", subject: "uid \(account.uid)") { setuid(account.uid) }
        if account.uid != 0, setuid(0) == 0 { throw StartRefusal.rootRegainable(user: account.name) }
    }
}
