/// Why `relayguard run` will not start although no system call failed: a setting that would be unsafe, or that the
/// system cannot honour. Each case says what to change; `exitStatus` is what `run` exits with.
public enum StartRefusal: Error, Equatable, CustomStringConvertible {
    /// Started as root with neither `user` nor `--allow-root`.
    case runningAsRoot
    /// `user` names root (or another uid 0 account) and `--allow-root` was not given.
    case userIsRoot(user: String)
    /// `user` is set, but the process runs unprivileged as another uid: it cannot become that user.
    case needsRoot(user: String, uid: UInt32)
    /// `user` names no account in the password database.
    case noSuchUser(String)
    /// `getgrouplist` failed for the account without asking for a larger list (it sets no errno).
    case groupsUnknown(user: String)
    /// After dropping to `user`, `setuid(0)` still succeeded.
    case rootRegainable(user: String)
    /// The unix socket's directory does not exist.
    case socketDirectoryMissing(String)
    /// The unix socket's directory is writable by everyone: any local user could replace the socket there and answer
    /// Postfix's milter queries in RelayGuard's place.
    case socketDirectoryWorldWritable(String, mode: UInt32)
    /// The config loads as root but not as the account `run` drops to: every reload after the drop would fail.
    case configUnreadable(user: String, diagnostics: [String])

    /// sysexits(3): 77 (EX_NOPERM) for a refusal to keep root, 78 (EX_CONFIG) for a config the service account cannot
    /// read (a config problem, as for check-config), 71 (EX_OSERR) otherwise, as for a failed system call.
    public var exitStatus: Int32 {
        switch self {
        case .runningAsRoot, .userIsRoot: 77
        case .configUnreadable: 78
        case .needsRoot, .noSuchUser, .groupsUnknown, .rootRegainable, .socketDirectoryMissing,
             .socketDirectoryWorldWritable:
            71
        }
    }

    public var description: String {
        switch self {
        case .runningAsRoot:
            "refusing to run as root: set user = NAME in the config file (RelayGuard drops to it after opening the socket), or pass --allow-root"
        case .userIsRoot(let user):
            "refusing to run as root: user = \(user) is uid 0; set user to an unprivileged account, or pass --allow-root"
        case .needsRoot(let user, let uid):
            "user = \(user) needs RelayGuard to start as root (it runs as uid \(uid))"
        case .noSuchUser(let user):
            "user = \(user): no such user"
        case .groupsUnknown(let user):
            "getgrouplist failed: the group list of \(user) could not be read"
        case .rootRegainable(let user):
            "setuid: root could be regained after dropping to \(user)"
        case .socketDirectoryMissing(let directory):
            "socket directory \(directory) does not exist (the package's tmpfiles.d entry creates /var/spool/postfix/relayguard)"
        case .socketDirectoryWorldWritable(let directory, let mode):
            "socket directory \(directory) is world-writable (mode \(String(mode & 0o7777, radix: 8))): any local user could replace the socket; use a directory such as /var/spool/postfix/relayguard, mode 0750"
        case .configUnreadable(let user, let diagnostics):
            "refusing to start: user \(user) cannot read the config, so every reload after dropping root would fail:\n"
                + diagnostics.map { "  \($0)\n" }.joined()
                + "make the config file, every included file and the directories above them readable by \(user) "
                + "(for instance mode 0640 and a group \(user) is in)"
        }
    }
}
