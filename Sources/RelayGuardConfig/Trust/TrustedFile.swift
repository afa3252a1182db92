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
        var walk = try Walk(trust: trust)
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

/// An opened path component: its descriptor (`O_PATH`, or the read descriptor for the file), `fstat`, physical path.
struct OpenedEntry {
    var fd: Int32
    var status: stat
    var path: String
}

/// The directories opened so far, from `/` down, each already judged.
private struct Walk {
    let trust: FileTrust
    private var directories: [OpenedEntry] = []

    init(trust: FileTrust) throws(TrustedFile.Failure) {
        self.trust = trust
        let fd = open("/", Self.pathFlags | O_DIRECTORY)
        guard fd >= 0 else { throw .unreadable(TrustedFile.errorText(errno)) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            close(fd)
            throw .unreadable(TrustedFile.errorText(code))
        }
        let root = OpenedEntry(fd: fd, status: status, path: "")
        directories.append(root)
        do throws(TrustedFile.Failure) { try checkDirectory(root) } catch {
            closeAll()
            throw error
        }
    }

    #if os(Linux)
    /// O_PATH (Linux 2.6.39): a descriptor that names the entry without opening it, so a directory needs only search
    /// permission and a device or FIFO is never opened. Glibc defines it only under _GNU_SOURCE, hence the number.
    static let pathFlags = 0o10000000 | O_NOFOLLOW | O_CLOEXEC
    #else
    static let pathFlags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
    #endif

    private var current: OpenedEntry { directories[directories.count - 1] }

    func look(at name: String) throws(TrustedFile.Failure) -> OpenedEntry {
        let fd = openat(current.fd, name, Self.pathFlags)
        guard fd >= 0 else {
            let code = errno
            throw .unreadable(code == ENOTDIR ? "not a directory: \(current.path)" : TrustedFile.errorText(code))
        }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            close(fd)
            throw .unreadable(TrustedFile.errorText(code))
        }
        return OpenedEntry(fd: fd, status: status, path: current.path + "/" + name)
    }

    mutating func enter(_ directory: OpenedEntry) throws(TrustedFile.Failure) {
        directories.append(directory)
        try checkDirectory(directory)
    }

    /// `..` goes back along the directories actually walked, which after a symlink is the target's parent, as the
    /// kernel resolves it. `/..` is `/`.
    mutating func up() {
        guard directories.count > 1 else { return }
        close(directories.removeLast().fd)
    }

    mutating func toRoot() {
        while directories.count > 1 { close(directories.removeLast().fd) }
    }

    mutating func closeAll() {
        for directory in directories { close(directory.fd) }
        directories = []
    }

    func readLink(_ name: String) throws(TrustedFile.Failure) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(current.fd, name, &buffer, buffer.count - 1)
        guard count >= 0 else { throw .unreadable(TrustedFile.errorText(errno)) }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// In a sticky directory others may write, an entry's owner can replace it: a symlink there must be trusted's.
    func checkSymlinkOwner(_ link: OpenedEntry) throws(TrustedFile.Failure) {
        guard current.status.st_mode & 0o022 != 0, !trust.owners.contains(UInt32(link.status.st_uid)) else { return }
        throw .untrusted("symlink \(link.path) is owned by \(AccountName.userName(UInt32(link.status.st_uid))) in \(displayed(current.path)), "
            + "which others can write: that account could point it elsewhere; replace it with a link owned by \(trust.ownersDescription)")
    }

    func checkDirectory(_ directory: OpenedEntry) throws(TrustedFile.Failure) {
        let mode = directory.status.st_mode
        let path = displayed(directory.path)
        let owner = UInt32(directory.status.st_uid)
        guard trust.owners.contains(owner) else {
            throw .untrusted("directory \(path) is owned by \(AccountName.userName(owner)), not \(trust.ownersDescription): "
                + "that account could replace what is in it; run chown \(AccountName.userName(0)) \(path)")
        }
        guard mode & S_ISVTX == 0 else { return }
        let octal = String(mode & 0o7777, radix: 8)
        if mode & 0o002 != 0 {
            throw .untrusted("directory \(path) is world-writable (mode \(octal)) without the sticky bit: any local user "
                + "could replace what is in it; run chmod o-w \(path)")
        }
        if mode & 0o020 != 0 {
            let group = AccountName.groupName(UInt32(directory.status.st_gid))
            throw .untrusted("directory \(path) is group-writable (mode \(octal)) without the sticky bit: members of group "
                + "\(group) could replace what is in it; run chmod g-w \(path)")
        }
    }

    /// Opens the regular file `name` in the current directory for reading, checks that the descriptor is the file
    /// the walk judged, judges it again on that descriptor, and reads it whole.
    func readFile(_ entry: OpenedEntry, name: String) throws(TrustedFile.Failure) -> [UInt8] {
        guard entry.status.st_mode & S_IFMT == S_IFREG else {
            throw .unreadable("not a regular file (\(Self.kind(entry.status.st_mode)))")
        }
        // O_NONBLOCK: were the entry swapped for a FIFO after all, opening it would not wait for a writer.
        let fd = openat(current.fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(TrustedFile.errorText(errno)) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadable(TrustedFile.errorText(errno)) }
        guard status.st_dev == entry.status.st_dev, status.st_ino == entry.status.st_ino,
              status.st_mode & S_IFMT == S_IFREG else {
            throw .unreadable("changed while it was being opened")
        }
        try checkFile(OpenedEntry(fd: fd, status: status, path: entry.path))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(status.st_size))
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(TrustedFile.errorText(errno))
            }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    func checkFile(_ file: OpenedEntry) throws(TrustedFile.Failure) {
        let mode = file.status.st_mode
        let owner = UInt32(file.status.st_uid)
        let octal = String(mode & 0o7777, radix: 8)
        guard trust.owners.contains(owner) else {
            throw .untrusted("owned by \(AccountName.userName(owner)), not \(trust.ownersDescription): "
                + "that account could change the relay policy; run chown \(AccountName.userName(0)) \(file.path)")
        }
        if mode & 0o002 != 0 {
            throw .untrusted("world-writable (mode \(octal)): any local user could change the relay policy; run chmod o-w \(file.path)")
        }
        if mode & 0o020 != 0 {
            let group = AccountName.groupName(UInt32(file.status.st_gid))
            throw .untrusted("group-writable (mode \(octal)): members of group \(group) could change the "
                + "relay policy; run chmod g-w \(file.path)")
        }
    }

    private func displayed(_ path: String) -> String { path.isEmpty ? "/" : path }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "mode \(String(mode, radix: 8))"
        }
    }
}
