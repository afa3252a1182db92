#if canImport(Glibc)
import Glibc
#endif

/// A failed socket call or a protocol error on one milter connection.
struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
    static func errno(_ call: String) -> LoadError { LoadError("\(call): \(String(cString: strerror(Glibc.errno)))") }
}

/// One MTA-side milter connection over TCP: blocking socket, milter framing (4-byte big-endian length, then the
/// command byte and its data).
///
/// Like Postfix's milter8.c on a VSTREAM it leaves Nagle on (no TCP_NODELAY) and buffers packets until it reads a
/// reply or closes: macros and their command go out in one write, ABORT and QUIT together at close.
final class MilterConnection {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 65536)
    private var start = 0
    private var end = 0
    private var packet: [UInt8] = []

    init(host: String, port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoadError.errno("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw LoadError("bad IPv4 address \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = LoadError.errno("connect \(host):\(port)")
            close(fd)
            throw error
        }
        packet.reserveCapacity(512)
    }

    deinit { close(fd) }

    /// Queues one packet: `command` and `data`. It goes out with the next `receive` or `flush`.
    func send(_ command: UInt8, _ data: [UInt8] = []) {
        let length = UInt32(data.count + 1)
        packet.append(contentsOf: [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)])
        packet.append(command)
        packet.append(contentsOf: data)
    }

    /// Writes the queued packets.
    func flush() throws {
        defer { packet.removeAll(keepingCapacity: true) }
        var offset = 0
        while offset < packet.count {
            let written = packet.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, packet.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                throw LoadError.errno("send")
            }
            offset += written
        }
    }

    /// Reads one packet: its command byte and data.
    func receive() throws -> (command: UInt8, data: ArraySlice<UInt8>) {
        if !packet.isEmpty { try flush() }
        try fill(4)
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length >= 1, length <= buffer.count - 4 else { throw LoadError("bad packet length \(length)") }
        try fill(4 + length)
        let command = buffer[start + 4]
        let data = buffer[(start + 5)..<(start + 4 + length)]
        start += 4 + length
        return (command, data)
    }

    /// Ensures `count` unread bytes are buffered.
    private func fill(_ count: Int) throws {
        if end - start >= count { return }
        if start > 0 {
            buffer.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                memmove(base, base + start, end - start)
            }
            end -= start
            start = 0
        }
        while end < count {
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + end, $0.count - end, 0) }
            if got == 0 { throw LoadError("the milter closed the connection") }
            if got < 0 {
                if Glibc.errno == EINTR { continue }
                throw LoadError.errno("recv")
            }
            end += got
        }
    }
}
