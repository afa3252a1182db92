#if canImport(Glibc)
import Glibc
#endif
import PolicyDelegation
import PolicyFrontEnd

/// `relayguard policy` when standard input or output is a regular file or a terminal (`relayguard policy <
/// requests`, typed requests): NIO cannot poll a regular file, and would leave a terminal non-blocking for the shell.
/// Under spawn(8) (a socket) and on pipes `PolicyPipe` serves instead, with `PolicyChannelHandler`.
///
/// Kept as the smallest blocking loop over the same `PolicyRequestFramer` and `PolicyAnswerer`, so the framing and
/// the answers are the NIO path's; what it leaves out is only what a connection from smtpd needs: no
/// `policy_timeout`, and a malformed request does not end it (a file of test requests may hold several; the NIO
/// handler closes the connection, since smtpd never sends one).
public struct PolicyConnection {
    let answerer: PolicyAnswerer

    public init(answerer: PolicyAnswerer) {
        self.answerer = answerer
    }

    /// Serves `input` until end of file, writing each answer to `output` once the bytes read so far are answered
    /// (smtpd waits for each answer before it sends the next request, so this is one write per request).
    /// - Throws: `SystemCallError` when a read or write fails.
    public func serve(input: Int32, output: Int32) throws(SystemCallError) {
        var framer = PolicyRequestFramer()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var answers: [UInt8] = []
        while true {
            let count = try SystemCallError.check("read", subject: "policy connection") {
                buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            }
            if count == 0 {
                if framer.hasPartialRequest { answerer.peerClosedMidRequest() }
                return
            }
            framer.feed(buffer[..<count]) { event in
                answers.append(contentsOf: PolicyAnswer.response(answerer.answer(event)).utf8)
            }
            guard !answers.isEmpty else { continue }
            try Self.writeAll(answers, to: output)
            answers.removeAll(keepingCapacity: true)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to output: Int32) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            offset += try SystemCallError.check("write", subject: "policy connection") {
                bytes.withUnsafeBytes { write(output, $0.baseAddress! + offset, $0.count - offset) }
            }
        }
    }
}
