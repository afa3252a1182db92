#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who may own the config file, the files it includes, and every directory on the way to them.
///
/// A policy file is only as safe as the least trusted account that can change it: its owner (who can chmod it),
/// whoever its mode lets write, and whoever can replace it in a directory on its path. As sendmail's safefile does,
/// RelayGuard trusts root and the account it runs as, and nobody else.
public struct FileTrust: Sendable, Equatable {
    /// The uids that may own the files and the directories on their paths.
    public var owners: Set<UInt32>

    public init(owners: Set<UInt32>) {
        self.owners = owners
    }

    /// Root, and the running user when that is not root. The daemon takes this once at start, before it drops
    /// privileges, so that a reload trusts exactly the accounts the start trusted and not the service account.
    public static var processOwner: FileTrust { FileTrust(owners: [0, UInt32(geteuid())]) }

    /// `root` or `root or alice`, for messages.
    var ownersDescription: String {
        owners.sorted().map { AccountName.userName($0) }.joined(separator: " or ")
    }
}

/// Account names for messages, with the number when the name is unknown.
enum AccountName {
    static func userName(_ uid: UInt32) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 1024)
        guard getpwuid_r(uid_t(uid), &entry, &buffer, buffer.count, &result) == 0, result != nil,
              let name = entry.pw_name else { return "uid \(uid)" }
        return String(cString: name)
    }

    static func groupName(_ gid: UInt32) -> String {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getgrgid_r(gid_t(gid), &entry, &buffer, buffer.count, &result) == 0, result != nil,
              let name = entry.gr_name else { return "gid \(gid)" }
        return String(cString: name)
    }
}
