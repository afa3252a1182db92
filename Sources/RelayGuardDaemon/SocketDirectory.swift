#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RelayGuardConfig
import SystemPackage

/// Refuses a unix socket in a missing or world-writable directory: in the latter any local user could remove or
/// replace the socket and answer Postfix's milter queries in RelayGuard's place.
enum SocketDirectory {
    static func check(_ socket: ListenSocket) throws {
        guard case .unix(let path) = socket else { return }
        let directory = (path as NSString).deletingLastPathComponent
        var status = stat()
        guard stat(directory, &status) == 0 else {
            let error = SystemCallError("stat", errno: Errno(rawValue: errno), subject: "socket directory \(directory)")
            throw error.errno == .noSuchFileOrDirectory ? StartRefusal.socketDirectoryMissing(directory) : error
        }
        if status.st_mode & S_IWOTH != 0 {
            throw StartRefusal.socketDirectoryWorldWritable(directory, mode: status.st_mode)
        }
    }
}
