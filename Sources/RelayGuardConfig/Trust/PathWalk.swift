#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An opened path component: its descriptor (`O_PATH`, or the read descriptor for the file), `fstat`, physical path.
struct OpenedEntry {
    var fd: Int32
    var status: stat
    var path: String
}

/// The directories opened so far, from `/` down, each already judged.
struct PathWalk {
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
