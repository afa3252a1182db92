import Foundation
import RelayGuardConfig

/// Refuses a unix socket in a world-writable directory: any local user could remove or replace the socket there and
/// answer Postfix's milter queries in RelayGuard's place.
public struct SocketDirectoryError: Error, CustomStringConvertible {
    public let description: String
}

enum SocketDirectory {
    static func check(_ socket: ListenSocket) throws(SocketDirectoryError) {
        guard case .unix(let path) = socket else { return }
        let directory = (path as NSString).deletingLastPathComponent
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: directory))?[.posixPermissions] as? Int else {
            throw SocketDirectoryError(description: "socket directory \(directory) does not exist (the package's tmpfiles.d entry creates /var/spool/postfix/relayguard)")
        }
        if mode & 0o002 != 0 {
            throw SocketDirectoryError(description: "socket directory \(directory) is world-writable (mode \(String(mode & 0o7777, radix: 8))): any local user could replace the socket; use a directory such as /var/spool/postfix/relayguard, mode 0750")
        }
    }
}
