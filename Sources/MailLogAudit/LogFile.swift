import Foundation

/// Opens a log for reading: `-` is standard input, a gzip file (by its magic bytes, as logrotate's `.gz` files are)
/// is read through `gzip -dc`, anything else directly.
public enum LogFile {
    public static func withDescriptor(_ path: String, _ body: (Int32) throws(AuditError) -> Void) throws(AuditError) {
        if path == "-" { return try body(STDIN_FILENO) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditError("\(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw AuditError("\(path): \(String(cString: strerror(errno)))") }
        if info.st_mode & S_IFMT == S_IFDIR { throw AuditError("\(path): is a directory") }
        var magic: (UInt8, UInt8) = (0, 0)
        let count = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) }
        guard count == 2, magic == (0x1F, 0x8B) else { return try body(fd) }
        try gunzip(fd, path: path, body)
    }

    private static func gunzip(_ fd: Int32, path: String, _ body: (Int32) throws(AuditError) -> Void) throws(AuditError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc"]
        process.standardInput = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw AuditError("\(path): cannot run gzip: \(error.localizedDescription)") }
        var failure: AuditError?
        do { try body(output.fileHandleForReading.fileDescriptor) } catch { failure = error }
        // Stop gzip if the reader gave up early, so waiting cannot block on a full pipe.
        if failure != nil { process.terminate() }
        process.waitUntilExit()
        if let failure { throw failure }
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw AuditError("\(path): gzip: \(message.split(separator: "\n").last.map(String.init) ?? "exit \(process.terminationStatus)")")
        }
    }
}
