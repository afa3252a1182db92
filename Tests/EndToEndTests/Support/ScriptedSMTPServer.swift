import Foundation

/// A misbehaving SMTP server on loopback, for the failures a real Postfix does not produce on demand: one that never
/// says a word, and one that hangs up at the first RCPT. It binds port 0 itself, so no port can be taken from it.
final class ScriptedSMTPServer: @unchecked Sendable {
    enum Behaviour: Sendable {
        /// Accepts connections and never writes.
        case silent
        /// Greets, answers EHLO and MAIL with 250, closes the connection at RCPT.
        case hangUpAtRecipient
        /// Sends its greeting one byte every 0.4 s (a tarpit).
        case trickle
    }

    let port: UInt16
    private let listener: Int32
    private let behaviour: Behaviour
    /// Held open (silent) connections, closed at `stop`.
    private var held: [Int32] = []
    private let lock = NSLock()

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw HarnessError("socket: \(errno)") }
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw HarnessError("bind/listen: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        guard port != 0 else { throw HarnessError("getsockname: \(errno)") }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        lock.lock()
        for fd in held { close(fd) }
        held.removeAll()
        lock.unlock()
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            switch behaviour {
            case .silent:
                lock.lock()
                held.append(fd)
                lock.unlock()
            case .hangUpAtRecipient:
                let thread = Thread { Self.converse(fd) }
                thread.start()
            case .trickle:
                let thread = Thread {
                    defer { close(fd) }
                    for byte in Array("220 scripted ESMTP, slowly\r\n".utf8) {
                        var one = byte
                        guard send(fd, &one, 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                        usleep(400_000)
                    }
                }
                thread.start()
            }
        }
    }

    private static func converse(_ fd: Int32) {
        defer { close(fd) }
        func say(_ text: String) { _ = text.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        say("220 scripted ESMTP\r\n")
        // Bytes, not a String: "\r\n" is one Character, which firstIndex(of: "\n") never finds.
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return }
            pending += chunk[..<count]
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self).uppercased()
                pending.removeFirst(newline + 1)
                if line.hasPrefix("RCPT") { return }
                say(line.hasPrefix("QUIT") ? "221 bye\r\n" : "250 ok\r\n")
            }
        }
    }
}
