#if canImport(Glibc)
import Glibc
#endif
import PolicyDelegation
import PolicyFrontEnd

/// One policy delegation connection on two descriptors (standard input and output under spawn(8)): requests read,
/// each answered by the policy front end (`PolicyAnswerer`), answers written.
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
