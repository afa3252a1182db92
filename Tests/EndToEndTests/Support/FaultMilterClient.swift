import Foundation

/// A raw milter-protocol (v6) client over TCP, for peers that Postfix would never be: stalled, half-sent, or
/// hundreds at once. Blocking sockets with a receive timeout; run it off the test's cooperative threads
/// (`BlockingWork.run`).
///
/// Framing: a 4-byte big-endian length (counting the command byte), the command byte, the data.
///
/// `@unchecked Sendable`: a client is used by one thread at a time (made and played on one, quit on another after
/// that one finished); the only mutable state is the negotiated flags.
final class FaultMilterClient: @unchecked Sendable {
    enum Command {
        static let optionNegotiation: UInt8 = 0x4F  // 'O'
        static let connect: UInt8 = 0x43            // 'C'
        static let helo: UInt8 = 0x48               // 'H'
        static let mail: UInt8 = 0x4D               // 'M'
        static let rcpt: UInt8 = 0x52               // 'R'
        static let abort: UInt8 = 0x41              // 'A'
        static let quit: UInt8 = 0x51               // 'Q'
    }

    /// Protocol flags by which the milter says it does not want a stage (SMFIP_NOCONNECT, NOHELO, NOMAIL, NORCPT).
    private enum Skip {
        static let connect: UInt32 = 0x1, helo: UInt32 = 0x2, mail: UInt32 = 0x4, rcpt: UInt32 = 0x8
    }

    let fd: Int32
    private var protocolFlags: UInt32 = 0

    /// Connects to 127.0.0.1:`port`; replies must arrive within `timeout` seconds.
    init(port: UInt16, timeout: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(fd)
            throw HarnessError("connect to milter 127.0.0.1:\(port) failed: errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    /// Writes raw bytes, e.g. half a packet.
    func sendRaw(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw HarnessError("milter send failed: errno \(errno)") }
            offset += written
        }
    }

    func send(_ command: UInt8, _ data: [UInt8] = []) throws {
        let length = UInt32(data.count + 1)
        try sendRaw(withUnsafeBytes(of: length.bigEndian, Array.init) + [command] + data)
    }

    /// One reply packet: its command byte and data.
    func receive() throws -> (command: UInt8, data: [UInt8]) {
        let header = try receiveExactly(5)
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length >= 1, length < 1 << 20 else { throw HarnessError("bad milter reply length \(length)") }
        return (header[4], try receiveExactly(length - 1))
    }

    private func receiveExactly(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let read = buffer[offset...].withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            guard read > 0 else {
                throw HarnessError(read == 0 ? "milter closed the connection" : "milter recv failed: errno \(errno)")
            }
            offset += read
        }
        return buffer
    }

    /// SMFIC_OPTNEG offering version 6, every action, and the stage-skipping flags (no no-reply flags, so every
    /// stage the milter keeps gets exactly one reply).
    func negotiate() throws {
        let offer: [UInt32] = [6, 0x1FF, 0x3FF]
        try send(Command.optionNegotiation, offer.flatMap { withUnsafeBytes(of: $0.bigEndian, Array.init) })
        let reply = try receive()
        guard reply.command == Command.optionNegotiation, reply.data.count >= 12 else {
            throw HarnessError("unexpected negotiation reply \(reply.command)")
        }
        protocolFlags = reply.data[8..<12].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Plays connect (client `clientIP`), HELO, MAIL and one RCPT per recipient; returns each RCPT's reply as
    /// `continue`, or the reply text for SMFIR_REPLYCODE (`550 5.7.1 …`), or the reply command letter.
    func transaction(clientIP: String, recipients: [String]) throws -> [String] {
        try negotiate()
        if protocolFlags & Skip.connect == 0 {
            try send(Command.connect, cString("client.test") + [UInt8(ascii: "4")] + [0, 25] + cString(clientIP))
            try expectContinue("connect")
        }
        if protocolFlags & Skip.helo == 0 {
            try send(Command.helo, cString("client.test"))
            try expectContinue("helo")
        }
        if protocolFlags & Skip.mail == 0 {
            try send(Command.mail, cString("<sender@outside.example>"))
            try expectContinue("mail")
        }
        var replies: [String] = []
        if protocolFlags & Skip.rcpt == 0 {
            for recipient in recipients {
                try send(Command.rcpt, cString(recipient))
                replies.append(Self.describe(try receive()))
            }
        }
        return replies
    }

    /// Ends the session politely: SMFIC_ABORT then SMFIC_QUIT (neither has a reply).
    func quit() {
        try? send(Command.abort)
        try? send(Command.quit)
    }

    private func expectContinue(_ stage: String) throws {
        let reply = try receive()
        guard reply.command == UInt8(ascii: "c") else {
            throw HarnessError("milter answered \(stage) with \(Self.describe(reply))")
        }
    }

    private func cString(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }

    static func describe(_ reply: (command: UInt8, data: [UInt8])) -> String {
        switch reply.command {
        case UInt8(ascii: "c"): "continue"
        case UInt8(ascii: "y"): String(decoding: reply.data.prefix { $0 != 0 }, as: UTF8.self)
        default: String(UnicodeScalar(reply.command))
        }
    }
}
