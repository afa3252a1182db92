#if canImport(Glibc)
import Glibc
#endif
import PolicyFrontEnd
import RelayGuardCore
import RelayGuardTestSupport
import RelayPolicy
import Testing

@testable import RelayGuardDaemon

/// One connection served over pipes: what was written back and what was logged.
private func serve(_ input: String, policy: Policy = Policy()) throws -> (output: String, log: [String]) {
    var toService: [Int32] = [0, 0]
    var fromService: [Int32] = [0, 0]
    #expect(pipe(&toService) == 0 && pipe(&fromService) == 0)
    // The whole input is written and closed first: small enough for the pipe buffer (64 KiB).
    let bytes = Array(input.utf8)
    #expect(bytes.withUnsafeBytes { write(toService[1], $0.baseAddress, $0.count) } == bytes.count)
    close(toService[1])
    let (logger, lines) = RecordingLogHandler.logger()
    let connection = PolicyConnection(answerer: PolicyAnswerer(store: PolicyStore(policy), logger: logger, session: 7))
    try connection.serve(input: toService[0], output: fromService[1])
    close(toService[0])
    close(fromService[1])
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4_096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fromService[0], $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        output += chunk[..<count]
    }
    close(fromService[0])
    return (String(decoding: output, as: UTF8.self), lines.all)
}

private func request(_ recipient: String) -> String {
    "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=203.0.113.9\nrecipient=\(recipient)\n\n"
}

@Suite("relayguard policy: one connection on two descriptors")
struct PolicyConnectionTests {
    @Test("every request read is answered on the output, in order, until end of input")
    func severalRequests() throws {
        let (output, log) = try serve(request("IMCEASMTP-victim+40elsewhere+2Ecom@corp.example") + request("alice@corp.example"))
        #expect(output == "action=550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed\n\naction=DUNNO\n\n")
        #expect(log.count == 2, "\(log)")
    }

    @Test("end of input in the middle of a request: a warning, no answer")
    func partial() throws {
        let (output, log) = try serve("request=smtpd_access_policy\nprotocol_state=RCPT\n")
        #expect(output.isEmpty)
        #expect(log.contains { $0.hasPrefix("warning: ") && $0.contains("in the middle of a request") }, "\(log)")
    }
}

/// Under spawn(8) standard error is the connection to smtpd: `log = stderr` must not write there.
@Suite("relayguard policy: where log = stderr goes")
struct PolicyServiceLogTargetTests {
    @Test("one socket on two descriptors is the connection; another socket, a pipe or a closed descriptor is not")
    func sameSocket() {
        var pair: [Int32] = [0, 0]
        var pipePair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 && pipe(&pipePair) == 0)
        let duplicate = dup(pair[0])
        let pipeDuplicate = dup(pipePair[1])
        defer { for fd in pair + pipePair + [duplicate, pipeDuplicate] { close(fd) } }
        #expect(PolicyService.isSameSocket(pair[0], duplicate))
        #expect(!PolicyService.isSameSocket(pair[0], pair[1]))
        #expect(!PolicyService.isSameSocket(pipePair[1], pipeDuplicate))
        #expect(!PolicyService.isSameSocket(pair[0], -1))
    }
}
