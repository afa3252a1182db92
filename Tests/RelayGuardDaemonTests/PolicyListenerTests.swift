#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOCore
import PolicyFrontEnd
import Prometheus
import RelayGuardConfig
import RelayGuardCore
import RelayGuardTestSupport
import RelayPolicy
import Testing

@testable import RelayGuardDaemon

/// A `PolicyListener` on a real socket (loopback TCP or a unix socket in a temporary directory), with its own
/// registry and recorded log.
private final class RunningListener {
    let listener: PolicyListener
    let store: PolicyStore
    let lines: RecordingLogHandler.Lines
    let registry = PrometheusCollectorRegistry()
    let port: UInt16

    init(policy: Policy = Policy(), address: ListenSocket = .inet(port: 0, host: "127.0.0.1"), maxConnections: Int = 1000,
         timeout: TimeAmount = .seconds(330), firstRequestTimeout: TimeAmount = PolicyServing.defaultFirstRequestTimeout) throws {
        let (logger, lines) = RecordingLogHandler.logger()
        store = PolicyStore(policy)
        self.lines = lines
        let factory = PrometheusMetricsFactory(registry: registry)
        let serving = PolicyServing(store: store, logger: logger, metrics: RelayGuardMetrics(factory: factory),
                                    listenerMetrics: PolicyListenerMetrics(factory: factory), timeout: timeout,
                                    firstRequestTimeout: firstRequestTimeout)
        listener = try PolicyListener(address: address, socketMode: 0o660, serving: serving, maxConnections: maxConnections)
        port = UInt16(listener.localAddress?.port ?? 0)
    }

    func client() throws -> PolicyClient { try PolicyClient(port: port) }

    deinit { listener.stop(grace: .milliseconds(100)) }
}

/// Without and with `reroute = yes` for 192.0.2.0/24: the first rejects the IMCEA recipient from 192.0.2.10, the
/// second lets it through.
private let policyA = Policy()
private let policyB: Policy = {
    do {
        return try Configuration.parse("reroute = yes\nrelay_clients = 192.0.2.0/24\n", file: "test.conf", baseDirectory: "/").policy
    } catch {
        fatalError("test policy does not parse: \(error)")
    }
}()
private let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"
private let reject = "550 5.7.1 encapsulated or routed address rejected: rerouting is not allowed"
private let onError = "451 4.3.0 relay policy temporarily unavailable, try again later"

/// Waits, polling, until `condition` holds; fails after 10 s (a hang guard, not a timed assertion).
private func eventually(_ what: String, _ condition: () -> Bool) throws {
    for _ in 0..<1000 {
        if condition() { return }
        usleep(10_000)
    }
    throw PolicyClient.Failure(description: "timed out waiting for \(what)")
}

/// `eventually` for the waits of a second or more (a throttled log line): it sleeps without holding one of the test
/// runner's threads, which the end-to-end suites share.
private func eventually(_ what: String, _ condition: () -> Bool) async throws {
    for _ in 0..<1000 {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw PolicyClient.Failure(description: "timed out waiting for \(what)")
}

@Suite("policy_socket: the NIO listener in relayguard run")
struct PolicyListenerTests {
    @Test("several requests on one connection, in one write and one by one, answered in order")
    func severalRequests() throws {
        let running = try RunningListener()
        let client = try running.client()
        try client.send(PolicyClient.request(imcea) + PolicyClient.request("alice@corp.example")
            + PolicyClient.request("x@y", state: "MAIL"))
        #expect(try client.answer() == reject)
        #expect(try client.answer() == "DUNNO")
        #expect(try client.answer() == "DUNNO")
        try client.send(PolicyClient.request(imcea))
        #expect(try client.answer() == reject)
        let decisions = running.lines.all.filter { $0.contains(" verdict=") }
        #expect(decisions.count == 3, "\(running.lines.all)")
        #expect(decisions.allSatisfy { $0.field("frontend") == "policy" && $0.field("session") == "1" }, "\(decisions)")
        #expect(running.registry.value(#"relayguard_decisions_total{verdict="reject",rule="reroute-disabled"}"#) == 2)
        #expect(running.registry.value("relayguard_policy_requests_total") == 4)
        #expect(running.registry.value("relayguard_policy_connections_total") == 1)
        #expect(running.registry.value("relayguard_policy_connections") == 1)
    }

    @Test("a unix socket: born with socket_mode, served")
    func unixSocket() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relayguard-policy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/policy.sock"
        // A stale socket from an earlier run is replaced.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        #expect(withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0)
        close(stale)
        let running = try RunningListener(address: .unix(path: path))
        var status = stat()
        #expect(lstat(path, &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFSOCK && status.st_mode & 0o777 == 0o660, "mode \(String(status.st_mode, radix: 8))")
        let client = try PolicyClient(path: path)
        try client.send(PolicyClient.request(imcea))
        #expect(try client.answer() == reject)
        _ = running
    }

    @Test("a regular file at the unix socket's path is refused, not replaced")
    func notASocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relayguard-policy-file-\(getpid())").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try RunningListener(address: .unix(path: path))
        } throws: { error in
            "\(error)".contains("exists and is not a socket")
        }
        #expect(FileManager.default.contents(atPath: path) == Data("keep".utf8))
    }

    @Test("100 concurrent connections, each answered for its own recipient")
    func hundredConnections() throws {
        let running = try RunningListener()
        let clients = try (0..<100).map { _ in try running.client() }
        let results = Locked<[Int: String]>([:])
        runOnThreads(clients.enumerated().map { index, client in
            { @Sendable [client] in
                let recipient = index % 2 == 0 ? imcea : "user\(index)@corp.example"
                do {
                    for _ in 0..<5 {
                        try client.send(PolicyClient.request(recipient))
                        let answer = try client.answer() ?? "closed"
                        guard answer == (index % 2 == 0 ? reject : "DUNNO") else {
                            results.withLock { $0[index] = answer }
                            return
                        }
                    }
                    results.withLock { $0[index] = "ok" }
                } catch {
                    results.withLock { $0[index] = "\(error)" }
                }
            }
        })
        let outcome = results.withLock { $0 }
        #expect(outcome.count == 100 && outcome.values.allSatisfy { $0 == "ok" }, "\(outcome.filter { $0.value != "ok" })")
        #expect(running.registry.value("relayguard_policy_connections_total") == 100)
        #expect(running.registry.value("relayguard_policy_requests_total") == 500)
        let sessions = Set(running.lines.all.compactMap { $0.field("session") })
        #expect(sessions.count == 100)
    }

    struct BadInput: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let logged: String
        var testDescription: String { name }
    }

    static let badInputs = [
        BadInput(name: "an attribute line over the 8 KiB limit",
                 bytes: Array("request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=\(String(repeating: "a", count: 9000))@corp.example\n\n".utf8),
                 logged: "attribute line 3 is longer than 8192 bytes"),
        BadInput(name: "a line without =", bytes: Array((PolicyClient.request(imcea, extra: "no equals sign\n")).utf8),
                 logged: "attribute line 7 has no \"=\""),
        BadInput(name: "non-UTF-8 bytes",
                 bytes: Array("request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=".utf8) + [0xFF, 0xFE] + Array("@corp.example\n\n".utf8),
                 logged: "attribute line 3 is not UTF-8"),
    ]

    @Test("bad input is logged and answered with on_error's answer, then the connection closes; the others go on",
          arguments: badInputs)
    func badInput(_ input: BadInput) throws {
        let running = try RunningListener()
        let other = try running.client()
        let client = try running.client()
        try client.send(input.bytes)
        #expect(try client.answer() == onError)
        #expect(try client.answer() == nil)
        try other.send(PolicyClient.request("alice@corp.example"))
        #expect(try other.answer() == "DUNNO")
        #expect(running.lines.all.contains { $0.hasPrefix("error: ") && $0.contains("bad policy request: \(input.logged); answering on_error") },
                "\(running.lines.all)")
        #expect(running.registry.value("relayguard_policy_bad_requests_total") == 1)
        #expect(running.registry.value(#"relayguard_errors_total{kind="undecidable"}"#) == 1)
    }

    @Test("pipelined bad requests: the first is answered and logged, the rest are not read")
    func pipelinedBadRequests() throws {
        let running = try RunningListener()
        let client = try running.client()
        // "a\n\n" is a whole malformed request: 20 000 of them fit in one 64 KiB read.
        try client.send(String(repeating: "a\n\n", count: 20_000) + PolicyClient.request(imcea))
        #expect(try client.answer() == onError)
        #expect(try client.answer() == nil)
        #expect(running.lines.all.filter { $0.contains("bad policy request") }.count == 1, "\(running.lines.all.prefix(5))")
        #expect(running.registry.value("relayguard_policy_bad_requests_total") == 1)
        #expect(running.registry.value("relayguard_policy_requests_total") == 1)
    }

    /// The bad requests the throttled lines account for: one per line as it happens, plus its "(and N more since the
    /// last such line)", and N per line of requests held back.
    private static func badRequestsLogged(_ lines: [String]) -> Int {
        lines.reduce(0) { total, line in
            func number(after marker: String) -> Int? {
                line.range(of: marker).flatMap { Int(line[$0.upperBound...].prefix(while: \.isNumber)) }
            }
            if line.contains("bad policy request: ") { return total + 1 + (number(after: "(and ") ?? 0) }
            if line.contains(" more bad policy request") { return total + (number(after: "frontend=policy: ") ?? 0) }
            return total
        }
    }

    @Test("bad requests that keep the connection (no recipient at RCPT): those the throttle held back get a line")
    func heldBadRequestsReported() async throws {
        let running = try RunningListener()
        let client = try running.client()
        try client.send(String(repeating: PolicyClient.request(""), count: 3))
        for _ in 0..<3 { #expect(try client.answer() == onError) }
        try await eventually("a line for each bad request") { Self.badRequestsLogged(running.lines.all) == 3 }
        #expect(running.lines.all.contains("error: frontend=policy: 2 more bad policy requests since the last such line, answered on_error")
                || running.lines.all.contains { $0.contains("(and ") }, "\(running.lines.all)")
    }

    @Test("stop writes the bad-request lines held back at once")
    func heldBadRequestsAtStop() throws {
        let running = try RunningListener()
        let client = try running.client()
        try client.send(String(repeating: PolicyClient.request(""), count: 3))
        for _ in 0..<3 { #expect(try client.answer() == onError) }
        running.listener.stop(grace: .milliseconds(100))
        #expect(Self.badRequestsLogged(running.lines.all) == 3, "\(running.lines.all)")
    }

    @Test("500 good requests in one write are all answered, in order, a few at a time")
    func pipelinedGoodRequests() throws {
        let running = try RunningListener()
        let client = try running.client()
        let recipients = (0..<500).map { $0 % 3 == 0 ? imcea : "user\($0)@corp.example" }
        try client.send(recipients.map { PolicyClient.request($0) }.joined())
        for (index, recipient) in recipients.enumerated() {
            let answer = try client.answer()
            #expect(answer == (recipient == imcea ? reject : "DUNNO"), "answer \(index)")
            if answer == nil { break }
        }
        #expect(running.registry.value("relayguard_policy_requests_total") == 500)
        try client.send(PolicyClient.request(imcea))
        #expect(try client.answer() == reject)
    }

    @Test("a request that never ends is closed after policy_timeout, with a log line; another connection is served")
    func requestNeverEnds() throws {
        let running = try RunningListener(timeout: .milliseconds(300))
        let stuck = try running.client()
        try stuck.send("request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=al")
        #expect(try stuck.waitForClose())
        #expect(running.lines.all.contains {
            $0.hasPrefix("warning: session=1 frontend=policy: no complete request for 300 ms (a request left unfinished): closing the connection (policy_timeout)")
        }, "\(running.lines.all)")
        #expect(running.registry.value("relayguard_policy_timeouts_total") == 1)
        let client = try running.client()
        try client.send(PolicyClient.request(imcea))
        #expect(try client.answer() == reject)
    }

    @Test("requests keep a connection open past policy_timeout as long as each completes within it")
    func busyConnectionStays() throws {
        let running = try RunningListener(timeout: .milliseconds(400))
        let client = try running.client()
        for _ in 0..<8 {
            try client.send(PolicyClient.request("alice@corp.example"))
            #expect(try client.answer() == "DUNNO")
            usleep(100_000)
        }
        #expect(running.registry.value("relayguard_policy_timeouts_total") == 0)
    }

    @Test("a connection that sends nothing is closed after the first-request time, with a log line; one that answered stays")
    func silentConnectionClosed() throws {
        let running = try RunningListener(firstRequestTimeout: .milliseconds(300))
        let answered = try running.client()
        try answered.send(PolicyClient.request(imcea))
        #expect(try answered.answer() == reject)
        let silent = try running.client()
        #expect(try silent.waitForClose())
        #expect(running.lines.all.contains {
            $0.hasPrefix("warning: session=2 frontend=policy: no request within 300 ms of connecting (idle): closing the connection")
        }, "\(running.lines.all)")
        #expect(running.registry.value("relayguard_policy_timeouts_total") == 1)
        // The connection that completed a request is under policy_timeout (330 s) now, not the first-request time.
        try answered.send(PolicyClient.request("alice@corp.example"))
        #expect(try answered.answer() == "DUNNO")
    }

    @Test("policy_max_connections: the longest idle connection is closed for a new one, with a log line")
    func maxConnectionsClosesLongestIdle() throws {
        let running = try RunningListener(maxConnections: 2)
        let oldest = try running.client()
        try oldest.send(PolicyClient.request(imcea))
        #expect(try oldest.answer() == reject)
        // Connected after `oldest` was answered, and silent since: idle, but not as long.
        let silent = try running.client()
        try eventually("the second connection to be registered") { running.listener.openConnections == 2 }
        let newest = try running.client()
        try newest.send(PolicyClient.request(imcea))
        #expect(try newest.answer() == reject)
        #expect(try oldest.waitForClose())
        #expect(running.lines.all.contains {
            $0 == "notice: policy_max_connections (2) reached: closed 1 idle connection (the longest idle) for new ones"
        }, "\(running.lines.all)")
        #expect(running.registry.value("relayguard_policy_connections_evicted_total") == 1)
        #expect(running.registry.value("relayguard_policy_connections_refused_total") == 0)
        try silent.send(PolicyClient.request("alice@corp.example"))
        #expect(try silent.answer() == "DUNNO")
    }

    @Test("policy_max_connections: with every connection in the middle of a request, the new one is closed at accept")
    func maxConnectionsAllBusy() async throws {
        let running = try RunningListener(maxConnections: 2)
        let first = try running.client()
        let second = try running.client()
        let request = Array(PolicyClient.request(imcea).utf8)
        for client in [first, second] {
            // A whole request and the start of the next in one write: its answer shows the half was read too.
            try client.send(Array(PolicyClient.request("alice@corp.example").utf8) + request.prefix(20))
            #expect(try client.answer() == "DUNNO")
        }
        let third = try running.client()
        try? third.send(PolicyClient.request(imcea))
        #expect(try third.answer() == nil)
        #expect(running.lines.all.contains {
            $0 == "warning: policy_max_connections (2) reached and every connection is in the middle of a request: closed 1 new connection at accept"
        }, "\(running.lines.all)")
        #expect(running.registry.value("relayguard_policy_connections_refused_total") == 1)
        // Two more at once: within the second of that line they are held back, and reported when it is over. However
        // the lines fall, every refusal is counted in one of them.
        for _ in 0..<2 {
            let refused = try running.client()
            try? refused.send(PolicyClient.request(imcea))
            #expect(try refused.answer() == nil)
        }
        #expect(running.registry.value("relayguard_policy_connections_refused_total") == 3)
        try await eventually("a line for each refusal") {
            running.lines.all.compactMap { line -> Int? in
                guard line.hasPrefix("warning: policy_max_connections (2) reached and every connection is in the middle of a request: closed "),
                      line.hasSuffix(" at accept") else { return nil }
                return Int(line.split(separator: " ")[15])
            }.reduce(0, +) == 3
        }
        for client in [first, second] {
            try client.send(Array(request.dropFirst(20)))
            #expect(try client.answer() == reject)
        }
        // Idle again: the next connection takes the place of one of them.
        let fourth = try running.client()
        try fourth.send(PolicyClient.request(imcea))
        #expect(try fourth.answer() == reject)
    }

    @Test("the listening socket failing (accept: EINVAL) is reported through onClosed and logged; stop is not")
    func listenerClosedOnItsOwn() throws {
        let (logger, lines) = RecordingLogHandler.logger()
        let serving = PolicyServing(store: PolicyStore(Policy()), logger: logger, metrics: RelayGuardMetrics(),
                                    listenerMetrics: PolicyListenerMetrics(), timeout: .seconds(330))
        let address = ListenSocket.inet(port: 0, host: "127.0.0.1")
        let closed = Locked(0)
        let descriptor = try ListeningSocket.open(address, mode: 0o660, key: "policy_socket")
        let failing = try PolicyListener(descriptor: descriptor, address: address, serving: serving, maxConnections: 10,
                                         onClosed: { closed.withLock { $0 += 1 } })
        // On Linux, shutdown of a listening socket makes accept fail with EINVAL, which NIO does not retry.
        #expect(shutdown(descriptor, Int32(SHUT_RDWR)) == 0)
        try eventually("onClosed") { closed.withLock { $0 } == 1 }
        #expect(lines.all.contains {
            $0.hasPrefix("error: policy_socket inet:") && $0.hasSuffix("the listener closed while relayguard was not stopping: exiting so that it is restarted")
        }, "\(lines.all)")
        failing.stop(grace: .milliseconds(100))

        let stoppedClosed = Locked(0)
        let stopped = try PolicyListener(address: address, socketMode: 0o660, serving: serving, maxConnections: 10,
                                         onClosed: { stoppedClosed.withLock { $0 += 1 } })
        stopped.stop(grace: .milliseconds(100))
        #expect(stoppedClosed.withLock { $0 } == 0)
        #expect(closed.withLock { $0 } == 1)
    }

    @Test("a reload between two requests on one connection changes the second answer")
    func reloadReachesNextRequest() throws {
        let running = try RunningListener(policy: policyA)
        let client = try running.client()
        let request = PolicyClient.request(imcea, client: "192.0.2.10")
        try client.send(request)
        #expect(try client.answer() == reject)
        #expect(running.store.replace(with: policyB) == 1)
        try client.send(request)
        #expect(try client.answer() == "DUNNO")
        let generations = running.lines.all.compactMap { $0.field("policy") }
        #expect(generations == ["0", "1"], "\(running.lines.all)")
    }

    @Test("stop: an idle connection is closed, a request half sent is answered first, then no new connection is served")
    func stopLetsRequestsFinish() throws {
        let running = try RunningListener()
        let idle = try running.client()
        let busy = try running.client()
        try idle.send(PolicyClient.request("alice@corp.example"))
        #expect(try idle.answer() == "DUNNO")
        // A whole request and the start of the next in one write: the first answer shows the half was read too.
        let request = Array(PolicyClient.request(imcea).utf8)
        try busy.send(Array(PolicyClient.request("bob@corp.example").utf8) + request.prefix(20))
        #expect(try busy.answer() == "DUNNO")
        running.listener.beginStop()
        #expect(try idle.waitForClose())
        try busy.send(Array(request.dropFirst(20)))
        #expect(try busy.answer() == reject)
        #expect(try busy.answer() == nil)
        try eventually("new connections to be refused") { (try? running.client()) == nil }
    }
}
