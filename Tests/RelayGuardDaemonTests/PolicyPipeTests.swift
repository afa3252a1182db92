#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import PolicyFrontEnd
import Prometheus
import RelayGuardCore
import RelayGuardTestSupport
import RelayPolicy
import Testing

@testable import RelayGuardDaemon

/// `relayguard policy` on NIO (`PolicyPipe`): over pipes, and over one socket on both descriptors as spawn(8) passes it.
@Suite("relayguard policy: the spawned connection on NIO")
struct PolicyPipeTests {
    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"
    static let reject = "action=550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed\n\n"

    static func serving(_ timeout: TimeAmount = .seconds(330)) -> (PolicyServing, RecordingLogHandler.Lines) {
        let (logger, lines) = RecordingLogHandler.logger()
        return (PolicyServing(store: PolicyStore(Policy()), logger: logger, metrics: RelayGuardMetrics(),
                              listenerMetrics: PolicyListenerMetrics(), timeout: timeout), lines)
    }

    static func readAll(_ fd: Int32) -> String {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            output += chunk[..<count]
        }
        return String(decoding: output, as: UTF8.self)
    }

    @Test("pipes and sockets go to NIO; a regular file keeps the blocking loop")
    func whichPath() throws {
        var pipeEnds: [Int32] = [0, 0]
        var pair: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0 && socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let file = open("/etc/hostname", O_RDONLY)
        defer { for fd in pipeEnds + pair + [file] { close(fd) } }
        #expect(PolicyPipe.canServe(input: pipeEnds[0], output: pipeEnds[1]))
        #expect(PolicyPipe.canServe(input: pair[0], output: pair[0]))
        #expect(!PolicyPipe.canServe(input: file, output: pipeEnds[1]))
    }

    @Test("over pipes: every request answered in order, then end of input ends the connection; an unfinished request is logged")
    func pipes() throws {
        var toService: [Int32] = [0, 0]
        var fromService: [Int32] = [0, 0]
        #expect(pipe(&toService) == 0 && pipe(&fromService) == 0)
        let input = PolicyClient.request(Self.imcea) + PolicyClient.request("alice@corp.example")
            + PolicyClient.request("x@y", state: "MAIL") + "request=smtpd_access_policy\n"
        let bytes = Array(input.utf8)
        #expect(bytes.withUnsafeBytes { write(toService[1], $0.baseAddress, $0.count) } == bytes.count)
        close(toService[1])
        let (serving, lines) = Self.serving()
        try PolicyPipe.serve(input: toService[0], output: fromService[1], serving: serving, session: 7)
        let output = Self.readAll(fromService[0])
        close(fromService[0])
        #expect(output == Self.reject + "action=DUNNO\n\naction=DUNNO\n\n")
        #expect(lines.all.filter { $0.contains(" verdict=") }.allSatisfy { $0.field("session") == "7" && $0.field("frontend") == "policy" })
        #expect(lines.all.contains { $0 == "warning: session=7 frontend=policy: the peer closed the connection in the middle of a request" },
                "\(lines.all)")
    }

    @Test("over one socket on both descriptors, as spawn(8) passes it: answers as smtpd reads them, until it shuts down")
    func socket() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        let serviceOutput = dup(pair[1])
        let (serving, _) = Self.serving()
        let done = Locked<(any Error)?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let service = pair[1]
        Thread {
            do { try PolicyPipe.serve(input: service, output: serviceOutput, serving: serving, session: 9) } catch {
                done.withLock { $0 = error }
            }
            finished.signal()
        }.start()
        let client = pair[0]
        defer { close(client) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)  // a hang guard
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        for (recipient, answer) in [(Self.imcea, Self.reject), ("alice@corp.example", "action=DUNNO\n\n")] {
            let request = Array(PolicyClient.request(recipient).utf8)
            #expect(request.withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) } == request.count)
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            #expect(count > 0 && String(decoding: chunk[..<max(count, 0)], as: UTF8.self) == answer)
        }
        shutdown(client, Int32(SHUT_WR))
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(done.withLock { $0 } == nil)
        #expect(Self.readAll(client).isEmpty)
    }

    @Test("policy_timeout applies to the spawned connection too")
    func timeout() throws {
        var pair: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { close(pair[0]) }
        let (serving, lines) = Self.serving(.milliseconds(200))
        try PolicyPipe.serve(input: pair[1], output: dup(pair[1]), serving: serving, session: 3)
        #expect(lines.all.contains { $0.contains("session=3 frontend=policy: no complete request for 200 ms (idle)") }, "\(lines.all)")
    }
}
