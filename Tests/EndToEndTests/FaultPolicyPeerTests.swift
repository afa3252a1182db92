import Foundation
import Synchronization
import Testing
import RelayGuardTestSupport

/// Peers on `relayguard run`'s policy socket that never finish a request, flood it, or sit idle by the thousand, while
/// a real Postfix keeps asking the same socket.
@Suite("Fault: stuck, flooding and idle peers on the policy socket")
struct FaultPolicyPeerTests {
    static let idlePeers = 1_050
    /// Above the idle peers plus smtpd's connections; the 100 peers past it make room by evicting idle ones.
    static let maxConnections = 1_100
    /// Short, so the test sees the stuck peers closed; the default (330 s) outlasts smtpd's own idle limit.
    static let timeoutSeconds = 20
    static let floodBytes = 16 << 20

    /// One session through Postfix: the IMCEA recipient refused by the policy service, alice accepted.
    static func probe(_ postfix: PostfixInstance, sender: String) async throws {
        let result = try await Swaks.send(to: postfix, from: sender, recipients: [FaultGateway.mustDeny, FaultGateway.allowed],
                                          client: Clients.outside)
        #expect(result.reply(for: FaultGateway.mustDeny)?.code == 550, "\(sender): \(result.output.stdout)\n\(postfix.maillog().suffix(2000))")
        #expect(result.reply(for: FaultGateway.allowed)?.code == 250, "\(sender): \(result.output.stdout)")
    }

    /// Writes `bytes` on a blocking socket (relayguard reads them; a full buffer just waits) until all are written or
    /// relayguard closes the connection (a flood that completes no request is closed at `policy_timeout`); returns
    /// how many were written.
    static func flood(_ fd: Int32, _ bytes: [UInt8]) throws -> Int {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, min($0.count - offset, 1 << 16), Int32(MSG_NOSIGNAL)) }
            if sent < 0 && (errno == ECONNRESET || errno == EPIPE) { break }
            guard sent > 0 else { throw HarnessError("send: \(String(cString: strerror(errno)))") }
            offset += sent
        }
        return offset
    }

    /// True once the peer reads end of file (relayguard closed its side); reads no further than one answer.
    static func isClosed(_ client: PolicyClient) -> Bool {
        var byte: UInt8 = 0
        let count = recv(client.fd, &byte, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        return count == 0 || (count < 0 && errno == ECONNRESET)
    }

    @Test("a half request, two floods and 1,050 idle peers: Postfix still answered, the limit evicting idle peers for new ones, the stuck ones closed at their deadline, memory returned")
    func stuckFloodingIdle() async throws {
        let settings = ["policy_max_connections = \(Self.maxConnections)", "policy_timeout = \(Self.timeoutSeconds)"]
        try await withRelayGuard(settings, policy: .unix) { relayguard in
            let path = try #require(relayguard.policySocketPath)
            try await withPostfix(FaultGateway.options(relayguard)) { postfix in
                try await Self.probe(postfix, sender: "policy-peer-warmup@outside.example")
                let idle = relayguard.memory().rssKiB
                let mark = relayguard.logMark()

                // Connecting and writing block while relayguard's backlog or a socket buffer is full: here they run
                // on threads of their own, not on the test runner's.
                // Half a request, never finished; and two peers for 16 MiB without a newline, and 17 MiB of
                // `name=value` lines (past 256 attributes, which also makes the request malformed) without the empty
                // line that ends a request, sent while everything below happens.
                let (half, longLine, manyLines) = try await BlockingWork.run {
                    let half = try PolicyClient(path: path)
                    _ = try Self.flood(half.fd, Array("request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@b".utf8))
                    return (half, try PolicyClient(path: path), try PolicyClient(path: path))
                }
                let attributeLines = Array((0..<(Self.floodBytes / 16)).map {
                    "x\(String($0, radix: 16).padding(toLength: 9, withPad: "0", startingAt: 0))=value\n"
                }.joined().utf8)
                // The first 64 KiB of each right away, as the half request: a flood's thread may start late on a
                // loaded machine, and a peer that has sent nothing yet is idle, not stuck.
                try await BlockingWork.run {
                    _ = try Self.flood(longLine.fd, [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 16))
                    _ = try Self.flood(manyLines.fd, Array(attributeLines.prefix(1 << 16)))
                }
                // Threads started here, not child tasks: on a loaded machine a child task waited for a cooperative
                // thread longer than policy_timeout, and the flood never began.
                let longLineFlood = FloodThread { try Self.flood(longLine.fd, [UInt8](repeating: UInt8(ascii: "a"), count: Self.floodBytes)) }
                let manyLinesFlood = FloodThread { try Self.flood(manyLines.fd, attributeLines) }
                try await Self.probe(postfix, sender: "policy-peer-flooded@outside.example")

                // 1,050 idle peers, then at once 100 more than policy_max_connections leaves room for: the limit
                // makes room by closing the longest-idle connections, so the new ones are accepted.
                var idlePeers = try await BlockingWork.run { try (0..<Self.idlePeers).map { _ in try PolicyClient(path: path) } }
                let peak = relayguard.memory().rssKiB
                var extra = try await BlockingWork.run { try (0..<100).map { _ in try PolicyClient(path: path) } }
                try await relayguard.waitForLogLine(since: mark, what: "the limit's eviction of idle connections") {
                    $0.contains("policy_max_connections (\(Self.maxConnections)) reached: closed ") && $0.contains("(the longest idle) for new ones")
                }
                #expect(!relayguard.log(since: mark).contains("every connection is in the middle of a request"),
                        "a new connection was refused while idle ones held the limit")
                // smtpd is answered at the limit, whether its connection was evicted (it reconnects) or kept.
                try await Self.probe(postfix, sender: "policy-peer-limit@outside.example")
                let evictions = relayguard.log(since: mark).split(separator: "\n").filter { $0.contains("(the longest idle) for new ones") }.count

                let flooded = (try await longLineFlood.bytesSent(), try await manyLinesFlood.bytesSent())
                // The stuck peers and the idle ones are closed once they go without a complete request: the first
                // request's deadline (10 s, shorter than policy_timeout here) closes every peer that never sent one.
                try await waitUntil("the request deadlines to close the stuck and idle peers", timeout: .seconds(60)) {
                    Self.isClosed(half) && Self.isClosed(longLine) && Self.isClosed(manyLines)
                        && idlePeers.allSatisfy(Self.isClosed) && extra.allSatisfy(Self.isClosed)
                }
                let closedLines = relayguard.log(since: mark).split(separator: "\n").filter {
                    $0.contains("closing the connection") && ($0.contains("no request within") || $0.contains("(policy_timeout)"))
                }
                // The half request at least is read before the deadline; a flood that relayguard had not read yet
                // when it fired (at load average 30) is logged as idle. Each stuck and idle peer not evicted has its line.
                #expect(closedLines.filter { $0.contains("(a request left unfinished)") }.count >= 1, "\(closedLines.prefix(5))")
                #expect(closedLines.count >= Self.idlePeers - 100, "\(closedLines.count) lines")
                idlePeers = []
                extra = []
                withExtendedLifetime((half, longLine, manyLines)) {}
                // smtpd's own connection was closed too (it sat idle past policy_timeout): smtpd reconnects.
                try await Self.probe(postfix, sender: "policy-peer-after@outside.example")
                let after = relayguard.memory().rssKiB

                #expect(relayguard.isRunning, "relayguard died:\n\(relayguard.log().suffix(3000))")
                try await postfix.waitForQueueToDrain()
                #expect(try FaultGateway.wronglyDelivered(postfix).isEmpty)
                // Bounds with room over what was measured (RELIABILITY.md): the framer keeps one line and one
                // request, so 32 MiB of flood costs nothing that stays, and closed connections give their memory back.
                #expect(idle > 0 && peak > 0 && after > 0, "memory figures unreadable")
                #expect(peak - idle < 64 * 1024, "RSS with \(Self.idlePeers) peers \(peak) KiB, idle \(idle) KiB")
                #expect(after - idle < 16 * 1024, "RSS after \(after) KiB, idle \(idle) KiB")

                reportFigures("policy-peers", [
                    "idle_peers": "\(Self.idlePeers)",
                    "eviction_log_lines": "\(evictions)",
                    "flood_sent_before_close": "\(flooded.0 >> 10)KiB+\(flooded.1 >> 10)KiB",
                    "closed_by_policy_timeout": "\(closedLines.count)",
                    "postfix_probes_answered": "5",
                    "rss_idle": "\(idle)KiB",
                    "rss_with_peers": "\(peak)KiB",
                    "rss_after": "\(after)KiB",
                ])
            }
        }
    }
}

/// A flood on its own thread, started at once; `bytesSent()` waits for it to end.
final class FloodThread: Sendable {
    private let outcome = Mutex<Result<Int, any Error>?>(nil)

    init(_ flood: @escaping @Sendable () throws -> Int) {
        Thread { [self] in
            let result = Result { try flood() }
            outcome.withLock { $0 = result }
        }.start()
    }

    /// The bytes written before the flood ended or relayguard closed the connection.
    func bytesSent() async throws -> Int {
        var ended: Result<Int, any Error>?
        try await waitUntil("a flood to end", timeout: .seconds(120), interval: .milliseconds(50)) {
            ended = outcome.withLock { $0 }
            return ended != nil
        }
        return try ended!.get()
    }
}
