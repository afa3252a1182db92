import RelayGuardConfig

/// Refuses to start as root with a config that the account it drops to cannot read: every reload after the drop
/// (SIGUSR1, SIGHUP) would fail with "permission denied", and a revoked `relay_clients` entry would never take effect.
///
/// The check loads the whole config again with the account's effective ids (`Privileges.asAccount`), exactly as a
/// reload will: the kernel judges the file, every included file and every directory on the way with the account's
/// uid and groups, ACLs included, which mode and owner arithmetic would have to imitate and could get wrong.
enum ReloadAccess {
    static func check(path: String, as account: Privileges.Account) throws {
        do {
            _ = try Privileges.asAccount(account) { try Configuration.load(path: path) }
        } catch let error as ConfigError {
            throw ReloadAccessError(user: account.name, diagnostics: error.diagnostics.map(\.description))
        }
    }
}

/// The config loads as root but not as `user`; `relayguard run` exits 78 (EX_CONFIG) with this message.
public struct ReloadAccessError: Error, CustomStringConvertible {
    public let user: String
    public let diagnostics: [String]

    public var description: String {
        "refusing to start: user \(user) cannot read the config, so every reload after dropping root would fail:\n"
            + diagnostics.map { "  \($0)\n" }.joined()
            + "make the config file, every included file and the directories above them readable by \(user) "
            + "(for instance mode 0640 and a group \(user) is in)"
    }
}
