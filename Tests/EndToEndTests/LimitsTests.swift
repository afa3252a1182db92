import Foundation
import Testing

/// Descriptor exhaustion by idle milter peers, and a slow client on the metrics endpoint.
@Suite("Limits: idle peers, slow metrics clients, wildcard metrics bind")
struct LimitsTests {
    static let imcea = "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>"

    /// libmilter kept an idle peer for 7210 s and the unit left the soft limit at 1024 descriptors: 1,100 idle local
    /// connections made a real negotiation time out. Here the milter runs with 256 descriptors and `timeout = 3`,
    /// 300 peers connect and say nothing, and a real session after them must still be answered.
    @Test("more idle peers than descriptors: they are closed after timeout and a real session is answered")
    func idlePeersBeyondDescriptorLimit() async throws {
        guard geteuid() == 0 else { throw HarnessError("this test starts relayguard as root") }
        let directory = try TemporaryDirectory(prefix: "relayguard-limits")
        defer { directory.remove() }
        let port = try FreePort.allocate()
        let path = try directory.write("socket = inet:\(port)@127.0.0.1\nuser = nobody\ntimeout = 3\n", to: "relayguard.conf")
        let milter = try ChildProcess("/usr/bin/prlimit", ["--nofile=256:256", try RelayGuardProcess.binaryPath(), "run", "--config", path])
        defer { milter.discardOutputFiles() }
        do {
            try await FreePort.waitUntilListening(port, what: "relayguard", whileAlive: { milter.isRunning })
            // The port listens before the start line is logged.
            try await waitUntil("relayguard to log its start with timeout=3s\n\(milter.output())") {
                milter.output().contains("listening on inet:\(port)@127.0.0.1") && milter.output().contains("timeout=3s")
            }

            let idle = try await BlockingWork.run {
                try (0..<300).map { _ in try FaultMilterClient(port: port, timeout: 30) }
            }
            // Every descriptor the milter may have is taken (listening socket, syslog, ... and accepted peers).
            // A hang guard only: on a loaded machine accepting 300 peers took longer than the default 10 s.
            try await waitUntil("relayguard to run out of descriptors", timeout: .seconds(60)) {
                Self.openDescriptors(of: milter.processIdentifier) >= 250
            }
            let start = ContinuousClock.now
            let replies = try await BlockingWork.run {
                let client = try FaultMilterClient(port: port, timeout: 30)
                defer { client.quit() }
                return try client.transaction(clientIP: "203.0.113.9", recipients: [Self.imcea, "<alice@corp.example>"])
            }
            let waited = ContinuousClock.now - start
            #expect(replies.count == 2 && replies[0].hasPrefix("550 5.7.1") && replies[1] == "continue", "\(replies)")
            // Behind ~50 idle peers still in the backlog: served once the first batch timed out (3 s), well before
            // Postfix's milter_command_timeout (30 s).
            #expect(waited < .seconds(20), "answered after \(waited)")
            let closedByThen = idle.filter { Self.closedByPeer($0.fd) }.count
            // The peers still in the backlog then are accepted in turn and closed a timeout later.
            try await waitUntil("the milter to close every idle peer", timeout: .seconds(30)) {
                idle.allSatisfy { Self.closedByPeer($0.fd) }
            }
            let allClosed = ContinuousClock.now - start
            #expect(milter.isRunning, "\(milter.output())")
            print("RELIABILITY limits-idle-peers: idle_peers=300 nofile=256 timeout_s=3 real_session_answered_after=\(waited) idle_closed_by_then=\(closedByThen) all_idle_closed_after=\(allClosed)")
        } catch {
            await milter.stop(grace: .milliseconds(300))
            throw error
        }
        await milter.stop(grace: .milliseconds(300))
    }

    /// One slow client sending a byte every 1.5 s held the metrics thread for hours: a per-read timeout of 2 s never
    /// fired, and every scrape timed out.
    @Test("a metrics client sending a byte every 1.5 s is dropped at the request deadline; scrapes go on")
    func slowMetricsClient() async throws {
        let metricsPort = try FreePort.allocate()
        try await withRelayGuard(["metrics_listen = inet:\(metricsPort)@127.0.0.1"]) { milter in
            try await FreePort.waitUntilListening(metricsPort, what: "the metrics listener")
            let slow = try await BlockingWork.run { try Self.connect(metricsPort) }
            defer { close(slow) }
            let dribble = Task {
                for byte in Array("GET /metrics HTTP/1.0\r\n\r\n".utf8) {
                    var byte = byte
                    guard send(slow, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
                    try await Task.sleep(for: .milliseconds(1500))
                }
            }
            defer { dribble.cancel() }
            try await Task.sleep(for: .milliseconds(500))
            let start = ContinuousClock.now
            let exposition = try await MetricsTests.scrape(metricsPort)  // curl --max-time 5
            let waited = ContinuousClock.now - start
            #expect(exposition.contains("# TYPE relayguard_decisions_total counter"), "\(exposition)")
            try await waitUntil("the server to close the slow client") { Self.closedByPeer(slow) }
            print("RELIABILITY limits-slow-metrics-client: scrape_answered_after=\(waited)")
        }
    }

    /// A host-less `metrics_listen = inet:PORT` silently bound 0.0.0.0.
    @Test("metrics_listen without a host: a warning at startup naming the loopback alternative")
    func wildcardMetricsWarning() async throws {
        let metricsPort = try FreePort.allocate()
        try await withRelayGuard(["metrics_listen = inet:\(metricsPort)"]) { milter in
            try await FreePort.waitUntilListening(metricsPort, what: "the metrics listener")
            let lines = milter.logLines(containing: "metrics_listen = inet:\(metricsPort) listens on every address")
            #expect(lines.count == 1, "\(milter.log())")
            #expect(lines.first?.contains("warning") == true && lines.first?.contains("inet:\(metricsPort)@127.0.0.1") == true,
                    "\(milter.log())")
        }
    }

    static func openDescriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count ?? 0
    }

    /// True when the other end closed the connection (a read returns end of file, or the connection was reset).
    static func closedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno == ECONNRESET)
    }

    static func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { throw HarnessError("connect to 127.0.0.1:\(port) failed: errno \(errno)") }
        return fd
    }
}
