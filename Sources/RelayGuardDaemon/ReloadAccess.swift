import RelayGuardConfig

/// Refuses to start as root with a config that the account it drops to cannot read: every reload after the drop
/// (SIGUSR1, SIGHUP) would fail with "permission denied", and a revoked `relay_clients` entry would never take effect.
///
/// The check loads the whole config again with the account's effective ids (`Privileges.asAccount`), exactly as a
/// reload will: the kernel judges the file, every included file and every directory on the way with the account's
/// uid and groups, ACLs included, which mode and owner arithmetic would have to imitate and could get wrong.
enum ReloadAccess {
    /// - Throws: `StartRefusal.configUnreadable` with the config's errors as the account sees them, or the
    ///   `SystemCallError` of switching to the account and back.
    static func check(path: String, as account: Privileges.Account) throws {
        do {
            _ = try Privileges.asAccount(account) { try Configuration.load(path: path) }
        } catch let error as ConfigError {
            throw StartRefusal.configUnreadable(user: account.name, diagnostics: error.diagnostics.map(\.description))
        }
    }
}
