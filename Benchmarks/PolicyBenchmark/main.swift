// Policy benchmark: decisions per second for a mixed recipient list against a small config and against configs with
// many relay_clients prefixes, plus their load time and memory. Run by scripts/bench (release build).
import Foundation
import RelayGuardConfig
import RelayPolicy

/// The recipient mix of a gateway's RCPTs: mostly plain local, some encapsulated, routed and remote.
let recipients = [
    "<alice@corp.example>", "<bob@corp.example>", "<carol@eu.corp.example>", "<dave@corp.example>",
    "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>", "<IMCEAEX-_O=CONTOSO_OU=FIRST+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=erin@corp.example>",
    "<victim%elsewhere.com@corp.example>", "<elsewhere.com!victim@corp.example>", "<@hop.example:victim@elsewhere.com>",
    "<frank@elsewhere.example>",
]
let clients = ["203.0.113.9", "192.0.2.10", "2001:db8::5", "198.51.100.77"].map { Client(address: .known(IPAddress($0)!)) }

/// Resident and peak memory of this process, from /proc.
func memory() -> (rss: Int, peak: Int) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Int {
        let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return (field("VmRSS") * 1024, field("VmHWM") * 1024)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// `BENCH_DECISIONS` and `BENCH_ROUNDS` shrink the decision loop, e.g. to run it under callgrind.
let environment = ProcessInfo.processInfo.environment
let decisionCount = environment["BENCH_DECISIONS"].flatMap { Int($0) } ?? 2_000_000
let decisionRounds = environment["BENCH_ROUNDS"].flatMap { Int($0) } ?? 5

/// Decisions per second on one thread: the best of `rounds` runs of `count` decisions.
func decisionsPerSecond(_ policy: Policy, count: Int = decisionCount, rounds: Int = decisionRounds) -> Double {
    var best = 0.0
    var denied = 0
    for _ in 0..<rounds {
        let time = seconds {
            for i in 0..<count {
                let decision = policy.decide(recipients[i % recipients.count], client: clients[i % clients.count])
                if decision.denies { denied &+= 1 }
            }
        }
        best = max(best, Double(count) / time)
    }
    precondition(denied > 0, "the mix must exercise denials")
    return best
}

/// A file of `count` random prefixes, half IPv4 and half IPv6, from a fixed seed.
func writePrefixFile(count: Int, to path: String) throws {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    var text = "# \(count) random prefixes\n"
    text.reserveCapacity(count * 24)
    for i in 0..<count {
        let r = next()
        if i % 2 == 0 {
            text += "\(r >> 56 & 0xFF).\(r >> 48 & 0xFF).\(r >> 40 & 0xFF).0/\(16 + Int(r % 17))\n"
        } else {
            text += String(format: "2001:%x:%x:%x::/%d\n", Int(r >> 48 & 0xFFFF), Int(r >> 32 & 0xFFFF), Int(r >> 16 & 0xFFFF), 32 + Int(r % 33))
        }
    }
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relayguard-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
print("| config | prefixes | load (s) | RSS after load (MB) | decisions/s (1 thread) |")
print("| --- | ---: | ---: | ---: | ---: |")
let small = try Configuration.parse("reroute = yes\nrelay_clients = 192.0.2.0/24, 2001:db8::/32\nlocal_domains = corp.example .corp.example\n",
                                    file: "small.conf", baseDirectory: directory)
print("| small | 2 | - | \(String(format: "%.1f", Double(memory().rss) / 1e6)) | \(String(format: "%.0f", decisionsPerSecond(small.policy))) |")
for size in sizes.isEmpty ? [10_000, 1_000_000] : sizes {
    let path = directory + "/relay-\(size).cidr"
    try writePrefixFile(count: size, to: path)
    let text = "reroute = yes\nrelay_clients = file:\(path)\nlocal_domains = corp.example .corp.example\n"
    var loaded: Configuration?
    let load = try seconds { loaded = try Configuration.parse(text, file: "big.conf", baseDirectory: directory) }
    guard let policy = loaded?.policy else { fatalError("config did not load") }
    let rss = Double(memory().rss) / 1e6
    print("| relay_clients = file: | \(policy.relayClients.prefixCount) | \(String(format: "%.3f", load)) | \(String(format: "%.1f", rss)) | \(String(format: "%.0f", decisionsPerSecond(policy))) |")
}
