// relayguard-milter-load: plays Postfix's side of the milter protocol (version 6, TCP) against a milter, with N
// concurrent sessions, and reports throughput, per-command latency and the milter process's CPU time and memory.
// scripts/bench runs it; BENCHMARKS.md explains the figures.
import Foundation
import Synchronization
import BenchmarkLoadSupport

let usage = """
usage: relayguard-milter-load --port PORT [--host 127.0.0.1] [--pid MILTER_PID] [--concurrency N] [--sessions N]
                              [--recipients K] [--label NAME] [--check]
  --concurrency   sessions in flight at once (one thread each); default 10
  --sessions      sessions in all; default 2000
  --recipients    RCPTs per session, from the mix in RecipientMix.swift; default 4
  --check         exit 1 unless every session completed and every recipient got the benchmark policy's verdict
Prints a table and one machine-readable `RESULT key=value ...` line.
"""

var options: [String: String] = [:]
var check = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--check" { check = true; continue }
    guard argument.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(64)
    }
    options[String(argument.dropFirst(2))] = value
}
guard let port = options["port"].flatMap({ UInt16($0) }) else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(64)
}
let host = options["host"] ?? "127.0.0.1"
let concurrency = max(1, options["concurrency"].flatMap { Int($0) } ?? 10)
let totalSessions = max(1, options["sessions"].flatMap { Int($0) } ?? 2000)
let recipientsPerSession = max(1, options["recipients"].flatMap { Int($0) } ?? 4)
let label = options["label"] ?? "milter"
let milter = options["pid"].flatMap { Int32($0) }.map(ProcessStats.init)

/// Shared between the worker threads: the next session number, and whether the run is over.
final class Shared: Sendable {
    let next = Atomic<Int>(0)
    let finished = Atomic<Bool>(false)
}
/// Only its own worker touches a tally until the worker has finished.
final class TallyBox: @unchecked Sendable {
    let tally = WorkerTally()
}

let shared = Shared()
let boxes = (0..<concurrency).map { _ in TallyBox() }
let startGate = DispatchSemaphore(value: 0)
let done = DispatchGroup()
let runner = SessionRunner(host: host, port: port)

let idleRSS = milter?.statusKB("VmRSS")
let maxRSS = Mutex(idleRSS ?? 0)
let sampler = Thread {
    while !shared.finished.load(ordering: .relaxed) {
        if let rss = milter?.statusKB("VmRSS") { maxRSS.withLock { $0 = max($0, rss) } }
        usleep(20_000)
    }
}
if milter != nil { sampler.start() }

for box in boxes {
    done.enter()
    let thread = Thread {
        startGate.wait()
        while true {
            let n = shared.next.wrappingAdd(1, ordering: .relaxed).oldValue
            if n >= totalSessions { break }
            do {
                try runner.run(session: n, recipients: recipientsPerSession, into: box.tally)
            } catch {
                if box.tally.errors.count < 5 { box.tally.errors.append("session \(n): \(error)") }
                box.tally.errors.append("")
            }
        }
        done.leave()
    }
    thread.stackSize = 256 * 1024
    thread.start()
}

let cpuBefore = milter?.cpuSeconds()
let started = now()
for _ in 0..<concurrency { startGate.signal() }
done.wait()
let elapsed = Double(now() - started) / 1e9
let cpuAfter = milter?.cpuSeconds()
shared.finished.store(true, ordering: .relaxed)

// Merge the tallies.
var latencies: [[UInt64]] = Array(repeating: [], count: WorkerTally.Command.allCases.count)
var sessions = 0, recipients = 0, rejects = 0, tempfails = 0, mismatches = 0, errorCount = 0
var errorSamples: [String] = []
for box in boxes {
    let tally = box.tally
    for (i, list) in tally.latencies.enumerated() { latencies[i] += list }
    sessions += tally.sessions
    recipients += tally.recipients
    rejects += tally.rejects
    tempfails += tally.tempfails
    mismatches += tally.mismatches
    errorCount += tally.errors.filter(\.isEmpty).count
    errorSamples += tally.errors.filter { !$0.isEmpty }
}

/// The value below which `fraction` of the sorted samples lie (nearest rank), in microseconds.
func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
    return Double(sorted[rank]) / 1000
}

var result: [(String, String)] = [
    ("label", label), ("concurrency", "\(concurrency)"), ("sessions", "\(sessions)"), ("errors", "\(errorCount)"),
    ("seconds", String(format: "%.3f", elapsed)),
    ("sessions_per_s", String(format: "%.1f", Double(sessions) / elapsed)),
    ("rcpts_per_s", String(format: "%.1f", Double(recipients) / elapsed)),
    ("recipients", "\(recipients)"), ("rejects", "\(rejects)"), ("tempfails", "\(tempfails)"), ("mismatches", "\(mismatches)"),
]
print("\(label): \(sessions) sessions (\(errorCount) failed) at concurrency \(concurrency) in \(String(format: "%.2f", elapsed)) s")
print("  \(String(format: "%.0f", Double(sessions) / elapsed)) sessions/s, \(String(format: "%.0f", Double(recipients) / elapsed)) recipient decisions/s; \(rejects) rejects (\(tempfails) tempfail), \(mismatches) verdicts off the expected")
print("  latency (µs)      p50       p99     p99.9   samples")
for command in WorkerTally.Command.allCases {
    let sorted = latencies[command.rawValue].sorted()
    let (p50, p99, p999) = (percentile(sorted, 0.5), percentile(sorted, 0.99), percentile(sorted, 0.999))
    print("  \(command.name.padding(toLength: 10, withPad: " ", startingAt: 0))\(String(format: "%10.0f%10.0f%10.0f%10d", p50, p99, p999, sorted.count))")
    result += [("\(command.name)_p50_us", String(format: "%.0f", p50)), ("\(command.name)_p99_us", String(format: "%.0f", p99)),
               ("\(command.name)_p999_us", String(format: "%.0f", p999))]
}
if let milter {
    if let before = cpuBefore, let after = cpuAfter {
        let cpu = after - before
        print("  milter CPU: \(String(format: "%.2f", cpu)) s (\(String(format: "%.1f", cpu * 1e6 / Double(max(sessions, 1)))) µs/session)")
        result += [("cpu_s", String(format: "%.3f", cpu)), ("cpu_us_per_session", String(format: "%.1f", cpu * 1e6 / Double(max(sessions, 1))))]
    }
    let peak = milter.statusKB("VmHWM") ?? 0
    let sampled = maxRSS.withLock { $0 }
    let growth = Double(sampled - (idleRSS ?? sampled)) / Double(concurrency)
    print("  milter RSS: idle \(idleRSS ?? 0) kB, max during run \(sampled) kB (\(String(format: "%.1f", growth)) kB per concurrent session), peak (VmHWM) \(peak) kB")
    result += [("idle_rss_kb", "\(idleRSS ?? 0)"), ("max_rss_kb", "\(sampled)"), ("peak_rss_kb", "\(peak)"),
               ("rss_kb_per_session", String(format: "%.1f", growth))]
}
for sample in errorSamples { print("  error: \(sample)") }
print("RESULT " + result.map { "\($0.0)=\($0.1)" }.joined(separator: " "))

if check, sessions != totalSessions || mismatches != 0 || errorCount != 0 {
    print("check failed: \(sessions)/\(totalSessions) sessions, \(mismatches) unexpected verdicts, \(errorCount) errors")
    exit(1)
}
