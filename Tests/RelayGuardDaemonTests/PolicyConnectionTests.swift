#if canImport(Glibc)
import Glibc
#endif
import Logging
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
    let connection = PolicyConnection(snapshot: PolicyStore(policy).snapshot, logger: logger, session: 7)
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

private func request(_ recipient: String, state: String = "RCPT", client: String = "203.0.113.9", extra: String = "") -> String {
    "request=smtpd_access_policy\nprotocol_state=\(state)\nclient_address=\(client)\nrecipient=\(recipient)\nqueue_id=\nsasl_username=\n\(extra)\n"
}

@Suite("relayguard policy: one connection, several requests")
struct PolicyConnectionTests {
    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"

    @Test("each request answered in order; the decision line names the front end")
    func severalRequests() throws {
        let (output, log) = try serve(request(Self.imcea) + request("alice@corp.example") + request("x@y", state: "MAIL"))
        #expect(output == """
            action=550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed

            action=DUNNO

            action=DUNNO


            """)
        // MAIL is not decided, so not logged.
        #expect(log.count == 2, "\(log)")
        #expect(log.first?.hasPrefix("info: NOQUEUE: session=7 client=203.0.113.9 auth=- policy=0 verdict=reject ") == true, "\(log)")
        #expect(log.first?.field("rule") == "reroute-disabled")
        #expect(log.first?.field("frontend") == "policy")
        #expect(log.last?.field("verdict") == "continue")
    }

    @Test("report mode answers DUNNO and logs would_deny=yes")
    func reportMode() throws {
        var policy = Policy()
        policy.mode = .report
        let (output, log) = try serve(request(Self.imcea), policy: policy)
        #expect(output == "action=DUNNO\n\n")
        #expect(log.first?.contains(" would_deny=yes ") == true, "\(log)")
    }

    @Test("a bad request answers on_error, logs why, and the next request is served", arguments: [Policy.OnError.tempfail, .accept])
    func badRequest(_ onError: Policy.OnError) throws {
        var policy = Policy()
        policy.onError = onError
        let (output, log) = try serve(request(Self.imcea, extra: "no equals sign\n") + request("alice@corp.example"), policy: policy)
        let first = onError == .tempfail
            ? "action=451 4.3.0 relay policy temporarily unavailable, try again later\n\n" : "action=DUNNO\n\n"
        #expect(output == first + "action=DUNNO\n\n")
        #expect(log.contains { $0.hasPrefix("error: ") && $0.contains("bad policy request: attribute line 7 has no \"=\"") }, "\(log)")
        #expect(log.contains { $0.contains("rule=on-error") }, "\(log)")
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
