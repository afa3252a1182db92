#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a config file or an included file through one descriptor, after every directory on the way to it and the
/// file itself were judged by what was opened, not by a path looked up a second time.
///
/// The walk opens each path component relative to the directory opened before it (`openat`, never following a
/// symlink by itself), and checks it with `fstat`:
/// - every directory is owned by a trusted account and not writable by group or others, unless it has the sticky
///   bit (`/tmp`): there only an entry's owner can rename or remove it, and every entry taken from it is owned by a
///   trusted account (the directory's own check and the file's own check see to that, and a symlink there is
///   checked for its owner). A group-writable directory without the sticky bit is refused like a world-writable
///   one: group membership changes without anything on the path changing.
/// - a symlink is followed by hand: its target's components join the walk (from `/` when absolute), so the target
///   and every directory on the way to it are judged. Its own mode (always 777 on Linux) means nothing.
/// - the last component must be a regular file; a FIFO or a device is never opened. It is opened for reading, the
///   descriptor is checked to be the file just judged, and the same checks run on that descriptor's `fstat`:
///   owned by a trusted account, writable by nobody else.
enum TrustedFile {
    /// Why a file was not read.
    enum Failure: Error, Equatable {
        /// It cannot be opened: `no such file`, `permission denied`, `is a directory`, `not a regular file (a FIFO)`.
        case unreadable(String)
        /// Someone not trusted could change it or replace it; the text says who and what to run.
        case untrusted(String)
    }

    /// Linux's own limit on symlinks followed in one lookup.
    static let maximumSymlinks = 40

    static func read(_ path: String, trust: FileTrust) throws(Failure) -> [UInt8] {
        var walk = try PathWalk(trust: trust)
        defer { walk.closeAll() }
        var pending = try components(of: path)
        var symlinks = 0
        while let name = pending.popLast() {
            if name.isEmpty || name == "." { continue }
            if name == ".." {
                walk.up()
                continue
            }
            let entry = try walk.look(at: name)
            switch entry.status.st_mode & S_IFMT {
            case S_IFLNK:
                // Read by name from its directory, which is judged already; the link's own descriptor is not needed.
                close(entry.fd)
                symlinks += 1
                guard symlinks <= maximumSymlinks else { throw .unreadable("too many levels of symbolic links") }
                try walk.checkSymlinkOwner(entry)
                let target = try walk.readLink(name)
                if target.hasPrefix("/") { walk.toRoot() }
                pending.append(contentsOf: target.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
            case S_IFDIR:
                guard !pending.isEmpty else {
                    close(entry.fd)
                    throw .unreadable("is a directory")
                }
                try walk.enter(entry)
            default:
                guard pending.isEmpty else {
                    close(entry.fd)
                    throw .unreadable("not a directory: \(entry.path)")
                }
                defer { close(entry.fd) }
                return try walk.readFile(entry, name: name)
            }
        }
        // Only "/" or a path of dots and slashes ends here.
        throw .unreadable("is a directory")
    }

    /// The path's components; a relative path is read from the working directory, whose own path is judged too.
    private static func components(of path: String) throws(Failure) -> [String] {
        var full = path
        if !path.hasPrefix("/") {
            guard let cwd = getcwd(nil, 0) else { throw .unreadable("cannot find the working directory: \(errorText(errno))") }
            full = String(cString: cwd) + "/" + path
            free(cwd)
        }
        return full.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed()
    }

    static func errorText(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case EACCES, EPERM: "permission denied"
        case ELOOP: "too many levels of symbolic links"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
