// swift-tools-version:6.0
import PackageDescription

/// What the core, front-end and daemon tests import beside their targets: swift-log, and a private Prometheus registry
/// per test so that the counters can be read and checked to add up.
let logAndRegistry: [Target.Dependency] = [
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Prometheus", package: "swift-prometheus"),
]

let package = Package(
    name: "RelayGuard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "relayguard", targets: ["relayguard"]),
        .library(name: "RelayPolicy", targets: ["RelayPolicy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        // Metrics: the API, and a Prometheus registry that renders the text format (served over NIOHTTP1).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The policy listener in `relayguard run` and the /metrics endpoint: event loops, framing, back-pressure.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // Errno: the system edge's one errno-to-error path (swift-nio depends on it too).
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // libmilter from Debian's libmilter-dev. Only the Milter target imports it.
        .systemLibrary(
            name: "CMilter",
            pkgConfig: "milter",
            providers: [.apt(["libmilter-dev"])]
        ),
        // The Swift face of libmilter: handler protocol, verdicts, the server. No policy knowledge.
        .target(name: "Milter", dependencies: ["CMilter", .product(name: "SystemPackage", package: "swift-system")]),
        // Pure policy: address decoding, IP/CIDR sets, rules, decisions. No I/O, no C.
        .target(name: "RelayPolicy"),
        // Postfix's policy delegation protocol (SMTPD_POLICY_README): request framing and parsing, the mapping to the
        // policy's client and recipient, the answers. Pure like RelayPolicy: front ends do the I/O.
        .target(name: "PolicyDelegation", dependencies: ["RelayPolicy"]),
        // relayguard.conf: text to validated settings, errors with file:line.
        .target(name: "RelayGuardConfig", dependencies: ["RelayPolicy"]),
        // The front-end-neutral core: policy snapshots and their reload, the decision's log line and metrics. No C, no
        // sockets, no signals or privileges: its only I/O is the reloader reading the config files (through
        // RelayGuardConfig). `explain` and both front ends use it.
        .target(
            name: "RelayGuardCore",
            dependencies: [
                "RelayPolicy", "RelayGuardConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The milter front end: libmilter's callbacks (through Milter) translated to core calls.
        .target(name: "MilterFrontEnd", dependencies: ["Milter", "RelayGuardCore", "RelayPolicy",
                                                       .product(name: "Logging", package: "swift-log")]),
        // The policy front end: one policy delegation request to its `action=` answer through the core, without I/O.
        // Its NIO channel handler (NIOCore only: the listener that bootstraps it is the daemon's).
        .target(name: "PolicyFrontEnd", dependencies: ["PolicyDelegation", "RelayGuardCore", "RelayPolicy",
                                                       .product(name: "Logging", package: "swift-log"),
                                                       .product(name: "Metrics", package: "swift-metrics"),
                                                       .product(name: "NIOCore", package: "swift-nio")]),
        // The system edge and `run`'s wiring: signals, privileges, syslog, listeners, the metrics endpoint.
        .target(
            name: "RelayGuardDaemon",
            dependencies: [
                "RelayGuardCore", "MilterFrontEnd", "PolicyFrontEnd", "Milter", "RelayGuardConfig", "PolicyDelegation",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // check-postfix: reads Postfix's configuration through postconf and reports wiring mistakes.
        .target(name: "PostfixCheck", dependencies: ["RelayGuardConfig", "RelayPolicy"]),
        // audit: Postfix mail logs streamed for encapsulated or routed deliveries and probing.
        .target(name: "MailLogAudit", dependencies: ["RelayPolicy"]),
        // probe: an SMTP client that tries every encapsulated and routed form against a gateway (never DATA).
        .target(name: "SMTPProbe", dependencies: ["RelayPolicy"]),
        .executableTarget(
            name: "relayguard",
            dependencies: [
                "RelayGuardDaemon", "RelayGuardCore", "RelayGuardConfig", "RelayPolicy", "PostfixCheck", "MailLogAudit",
                "SMTPProbe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // swift run -c release relayguard-policy-bench (see BENCHMARKS.md)
        .executableTarget(
            name: "relayguard-policy-bench",
            dependencies: ["RelayPolicy", "RelayGuardConfig"],
            path: "Benchmarks/PolicyBenchmark"
        ),
        // A Postfix mail log of a given size for the audit benchmark (scripts/bench).
        .executableTarget(name: "relayguard-auditlog-gen", path: "Benchmarks/AuditLog"),
        // Milter protocol load generator (MTA side, no libmilter); scripts/bench runs it (see BENCHMARKS.md).
        // What both load generators read of the server under test (/proc).
        .target(name: "BenchmarkLoadSupport", path: "Benchmarks/LoadSupport"),
        .executableTarget(name: "relayguard-milter-load", dependencies: ["BenchmarkLoadSupport"], path: "Benchmarks/MilterLoad"),
        // Policy delegation protocol load generator (smtpd side); scripts/bench runs it (see BENCHMARKS.md).
        .executableTarget(name: "relayguard-policy-load", dependencies: ["BenchmarkLoadSupport"], path: "Benchmarks/PolicyLoad"),
        // NIO's floor for a policy server (no framer, decision or log line), beside the C one in scripts/bench.
        .executableTarget(name: "relayguard-policy-floor", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "Benchmarks/PolicyFloor"),
        .testTarget(name: "MilterTests", dependencies: ["Milter", .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(name: "PolicyDelegationTests", dependencies: ["PolicyDelegation", "RelayPolicy"]),
        .testTarget(name: "RelayPolicyTests", dependencies: ["RelayPolicy", "RelayGuardTestSupport"], resources: [.copy("Corpus")]),
        .testTarget(name: "SMTPProbeTests", dependencies: ["SMTPProbe", "RelayPolicy"]),
        .testTarget(name: "MailLogAuditTests", dependencies: ["MailLogAudit", "RelayPolicy"]),
        .testTarget(name: "PostfixCheckTests", dependencies: ["PostfixCheck", "RelayGuardConfig", "RelayPolicy"]),
        .testTarget(name: "RelayGuardConfigTests", dependencies: ["RelayGuardConfig", "RelayPolicy"]),
        // What the core, front-end and daemon tests share: a recording log handler, counters read back, real threads.
        .target(
            name: "RelayGuardTestSupport",
            dependencies: ["RelayGuardCore"] + logAndRegistry,
            path: "Tests/RelayGuardTestSupport"
        ),
        .testTarget(
            name: "RelayGuardCoreTests",
            dependencies: ["RelayGuardCore", "RelayGuardConfig", "RelayPolicy", "RelayGuardTestSupport"] + logAndRegistry
        ),
        .testTarget(
            name: "MilterFrontEndTests",
            dependencies: ["MilterFrontEnd", "RelayGuardCore", "RelayGuardConfig", "RelayPolicy", "Milter",
                           "RelayGuardTestSupport"] + logAndRegistry
        ),
        .testTarget(
            name: "PolicyFrontEndTests",
            dependencies: ["PolicyFrontEnd", "RelayGuardCore", "RelayPolicy", "PolicyDelegation", "RelayGuardTestSupport",
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")]
                + logAndRegistry
        ),
        .testTarget(
            name: "RelayGuardDaemonTests",
            dependencies: ["RelayGuardDaemon", "RelayGuardCore", "PolicyFrontEnd", "RelayGuardConfig", "RelayPolicy",
                           "RelayGuardTestSupport", .product(name: "SystemPackage", package: "swift-system"),
                           .product(name: "NIOCore", package: "swift-nio")] + logAndRegistry
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["relayguard", "relayguard-milter-load", "relayguard-policy-load", "RelayPolicy", "RelayGuardTestSupport"],
            resources: [.copy("miltertest")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// scripts/sanitize sets RELAYGUARD_SANITIZE_RUN so that a sanitized tree holds only what its run tests, not every
// product and test target of the package (SwiftPM builds all of them for `swift test --filter` too):
//   thread:  the four test targets of the TSan suites;
//   address: MilterTests, and the relayguard executable that the miltertest suite starts (RELAYGUARD_BINARY; the
//            suite's runner comes from the plain debug build).
// Each keeps its roots' dependency closure, so a target added to a root's dependencies comes along.
if let run = Context.environment["RELAYGUARD_SANITIZE_RUN"] {
    let roots: [String]
    switch run {
    case "thread": roots = ["RelayGuardCoreTests", "MilterFrontEndTests", "PolicyFrontEndTests", "RelayGuardDaemonTests"]
    case "address": roots = ["MilterTests", "relayguard"]
    default: fatalError("RELAYGUARD_SANITIZE_RUN=\(run): expected thread or address")
    }
    let byName = Dictionary(uniqueKeysWithValues: package.targets.map { ($0.name, $0) })
    var kept = Set<String>()
    var pending = roots
    while let name = pending.popLast() {
        guard kept.insert(name).inserted, let target = byName[name] else { continue }
        for dependency in target.dependencies {
            switch dependency {
            case .targetItem(let name, _), .byNameItem(let name, _): pending.append(name)
            case .productItem: break  // another package's product: SwiftPM builds only the products used
            @unknown default: break
            }
        }
    }
    package.targets.removeAll { !kept.contains($0.name) }
    package.products.removeAll { product in
        let targets = (product as? Product.Executable)?.targets ?? (product as? Product.Library)?.targets ?? []
        return !targets.allSatisfy(kept.contains)
    }
}
