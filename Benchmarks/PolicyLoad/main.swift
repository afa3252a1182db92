// relayguard-policy-load: plays smtpd's side of Postfix's policy delegation protocol (SMTPD_POLICY_README) against a
// policy server, with N long-lived connections as N smtpd processes hold them, and reports requests/s, the latency
// of each answer and the answers by kind. scripts/bench runs it; BENCHMARKS.md explains the figures.
import Foundation
import Synchronization
import BenchmarkLoadSupport

let usage = """
usage: relayguard-policy-load (--port PORT [--host 127.0.0.1] | --unix PATH | --spawn PROGRAM [ARGUMENT...])
                              [--pid SERVER_PID] [--concurrency N] [--requests N] [--recipients K] [--label NAME] [--check]
  --spawn         start PROGRAM once per connection on a socket pair as its standard input and output, as Postfix's
                  spawn(8) runs `relayguard policy` (the rest of the command line is its arguments)
  --concurrency   connections, one thread each, all opened before the clock starts; default 10
  --requests      requests in all, as streams of --recipients RCPT requests from one client (an SMTP session);
                  default 20000
  --recipients    requests per stream, from the mix in PolicyMix.swift; default 4
  --check         exit 1 unless every request was answered with the benchmark policy's answer
Prints a summary and one machine-readable `RESULT key=value ...` line.
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(64)
}

var options: [String: String] = [:]
var check = false
var spawnArguments: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--check" { check = true; continue }
    if argument == "--spawn" { spawnArguments = Array(arguments); break }
    guard argument.hasPrefix("--"), let value = arguments.popFirst() else { fail(usage) }
    options[String(argument.dropFirst(2))] = value
}
let target: Target
if let port = options["port"].flatMap({ UInt16($0) }) {
    target = .inet(host: options["host"] ?? "127.0.0.1", port: port)
} else if let path = options["unix"] {
    target = .unix(path: path)
} else if !spawnArguments.isEmpty {
    target = .spawn(arguments: spawnArguments)
} else {
    fail(usage)
}
let concurrency = max(1, options["concurrency"].flatMap { Int($0) } ?? 10)
let totalRequests = max(1, options["requests"].flatMap { Int($0) } ?? 20000)
let recipientsPerStream = max(1, options["recipients"].flatMap { Int($0) } ?? 4)
let totalStreams = (totalRequests + recipientsPerStream - 1) / recipientsPerStream
let label = options["label"] ?? "policy"
let server = options["pid"].flatMap { Int32($0) }.map(ProcessStats.init)

/// Monotonic nanoseconds.
func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// What one connection's thread measured. Only its own thread touches it until the thread has finished.
final class Tally: @unchecked Sendable {
    var latencies: [UInt64] = []
    var dunno = 0, reject = 0, deferred = 0, other = 0
    var mismatches = 0
    var errors = 0
    var errorSamples: [String] = []
    var otherSamples: [String] = []

    func count(_ action: Substring, expectRefusal: Bool) {
        // access(5): DUNNO continues; a 5xx code or REJECT refuses; a 4xx code or DEFER/DEFER_IF_* defers.
        let refused: Bool
        if action == "DUNNO" {
            dunno += 1
            refused = false
        } else if action.first == "5" || action.hasPrefix("REJECT") {
            reject += 1
            refused = true
        } else if action.first == "4" || action.hasPrefix("DEFER") {
            deferred += 1
            mismatches += 1
            return
        } else {
            other += 1
            if otherSamples.count < 3 { otherSamples.append(String(action)) }
            mismatches += 1
            return
        }
        if refused != expectRefusal { mismatches += 1 }
    }
}

final class Shared: Sendable {
    let next = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)
}

/// Every request of the run, built before the clock starts: the generator's own work stays out of the latencies.
let streams: [(client: PolicyMix.ClientAddress, requests: [(bytes: [UInt8], expectRefusal: Bool)])] = (0..<totalStreams).map { n in
    let (client, recipients) = PolicyMix.stream(n, recipients: recipientsPerStream)
    return (client, recipients.enumerated().map { index, recipient in
        (PolicyMix.request(client: client, recipient: recipient, stream: n, index: index),
         recipient.deniedOutside && !client.isRelayClient)
    })
}

let shared = Shared()
let tallies = (0..<concurrency).map { _ in Tally() }
let connected = DispatchGroup()
let startGate = DispatchSemaphore(value: 0)
let done = DispatchGroup()

let idleRSS = server?.statusKB("VmRSS")
let maxRSS = Mutex(idleRSS ?? 0)
let sampler = Thread {
    while !shared.finished.load(ordering: .relaxed) {
        if let rss = server?.statusKB("VmRSS") { maxRSS.withLock { $0 = max($0, rss) } }
        usleep(20_000)
    }
}
if server != nil { sampler.start() }

for tally in tallies {
    connected.enter()
    done.enter()
    let thread = Thread {
        defer { done.leave() }
        let client: PolicyClient
        do {
            client = try PolicyClient(target)
        } catch {
            tally.errors += 1
            tally.errorSamples.append("connect: \(error)")
            connected.leave()
            startGate.wait()
            return
        }
        connected.leave()
        startGate.wait()
        tally.latencies.reserveCapacity(2 * totalRequests / concurrency + 16)
        streams: while true {
            let n = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
            if n >= totalStreams { break }
            for request in streams[n].requests {
                let started = now()
                do {
                    let action = try client.ask(request.bytes)
                    tally.latencies.append(now() - started)
                    tally.count(action, expectRefusal: request.expectRefusal)
                } catch {
                    // The connection is unusable; smtpd would open another one for its next request.
                    tally.errors += 1
                    if tally.errorSamples.count < 3 { tally.errorSamples.append("stream \(n): \(error)") }
                    break streams
                }
            }
        }
    }
    thread.stackSize = 256 * 1024
    thread.start()
}

connected.wait()
let cpuBefore = server?.cpuSeconds()
let started = now()
for _ in 0..<concurrency { startGate.signal() }
done.wait()
let elapsed = Double(now() - started) / 1e9
let cpuAfter = server?.cpuSeconds()
shared.finished.store(true, ordering: .relaxed)

var latencies: [UInt64] = []
var dunno = 0, reject = 0, deferred = 0, other = 0, mismatches = 0, errors = 0
var samples: [String] = []
for tally in tallies {
    latencies += tally.latencies
    dunno += tally.dunno
    reject += tally.reject
    deferred += tally.deferred
    other += tally.other
    mismatches += tally.mismatches
    errors += tally.errors
    samples += tally.errorSamples.map { "error: \($0)" } + tally.otherSamples.map { "unexpected answer: \($0)" }
}
latencies.sort()
let answered = latencies.count

/// The value below which `fraction` of the sorted samples lie (nearest rank), in microseconds.
func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
    return Double(sorted[rank]) / 1000
}

let (p50, p99, p999) = (percentile(latencies, 0.5), percentile(latencies, 0.99), percentile(latencies, 0.999))
var result: [(String, String)] = [
    ("label", label), ("concurrency", "\(concurrency)"), ("requests", "\(answered)"), ("errors", "\(errors)"),
    ("seconds", String(format: "%.3f", elapsed)), ("requests_per_s", String(format: "%.1f", Double(answered) / elapsed)),
    ("p50_us", String(format: "%.0f", p50)), ("p99_us", String(format: "%.0f", p99)), ("p999_us", String(format: "%.0f", p999)),
    ("dunno", "\(dunno)"), ("reject", "\(reject)"), ("defer", "\(deferred)"), ("other", "\(other)"), ("mismatches", "\(mismatches)"),
]
print("\(label): \(answered) requests answered (\(errors) connections failed) on \(concurrency) connections in \(String(format: "%.2f", elapsed)) s")
print("  \(String(format: "%.0f", Double(answered) / elapsed)) requests/s; DUNNO \(dunno), refused \(reject), deferred \(deferred), other \(other); \(mismatches) answers off the expected")
print("  latency µs: p50 \(String(format: "%.0f", p50)), p99 \(String(format: "%.0f", p99)), p99.9 \(String(format: "%.0f", p999))")
if let server {
    if let before = cpuBefore, let after = cpuAfter {
        let cpu = after - before
        print("  server CPU: \(String(format: "%.2f", cpu)) s (\(String(format: "%.1f", cpu * 1e6 / Double(max(answered, 1)))) µs/request)")
        result += [("cpu_s", String(format: "%.3f", cpu)), ("cpu_us_per_request", String(format: "%.1f", cpu * 1e6 / Double(max(answered, 1))))]
    }
    let sampled = maxRSS.withLock { $0 }
    print("  server RSS: before \(idleRSS ?? 0) kB, max during run \(sampled) kB, peak (VmHWM) \(server.statusKB("VmHWM") ?? 0) kB")
    result += [("idle_rss_kb", "\(idleRSS ?? 0)"), ("max_rss_kb", "\(sampled)")]
}
for sample in samples.prefix(10) { print("  \(sample)") }
print("RESULT " + result.map { "\($0.0)=\($0.1)" }.joined(separator: " "))

let expected = totalStreams * recipientsPerStream
if check, answered != expected || mismatches != 0 || errors != 0 {
    print("check failed: \(answered)/\(expected) requests answered, \(mismatches) answers off the expected, \(errors) errors")
    exit(1)
}
