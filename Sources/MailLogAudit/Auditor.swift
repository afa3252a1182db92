#if canImport(Glibc)
import Glibc
#endif
import RelayPolicy

/// Streams Postfix log records and keeps only what the report needs: a bounded table from queue id to the client
/// that submitted the message, the encapsulated or routed deliveries, and refusal counters per client and family.
public struct Auditor {
    /// Queue ids remembered at once; the oldest is forgotten first (a message is delivered within seconds of its
    /// `client=` line, and `removed` forgets it at once; only messages Postfix refused after the queue id stay).
    public static let maximumQueueIDs = 200_000
    public static let maximumDeliveries = 10_000
    /// Clients counted one by one; the refusals of further clients are counted together.
    public static let maximumClients = 100_000
    /// Clients itemised in the report, most refused first.
    public static let reportedClients = 1_000

    let policy: Policy
    let since: Int?
    let currentYear: Int
    let now: Int
    public private(set) var report = AuditReport()

    private struct Submission { var client: String; var saslUsername: String?; var sequence: Int }
    private var queue: [String: Submission] = [:]
    private var queueOrder: [String] = []
    private var queueOrderHead = 0
    private var sequence = 0
    // Refusal counters without an allocation per client: a client's index into two count arrays, and one table of
    // (client, family) pairs. A log with a hundred thousand probing addresses costs a few megabytes.
    private var clientIndex: [String: Int32] = [:]
    private var clientNames: [String] = []
    private var relayGuardCounts: [Int32] = []
    private var relayDeniedCounts: [Int32] = []
    private var familyIndex: [String: Int32] = [:]
    private var familyNames: [String] = []
    private var clientFamilyCounts: [Int64: Int32] = [:]

    /// - Parameters:
    ///   - policy: decides which recipients are encapsulated or routed (RelayGuard's own rules).
    ///   - since: wall-clock seconds (``WallClock``); earlier records are skipped.
    public init(policy: Policy, since: Int? = nil, now: Int = Int(time(nil))) {
        self.policy = policy
        self.since = since
        var seconds = now
        var broken = tm()
        localtime_r(&seconds, &broken)
        currentYear = Int(broken.tm_year) + 1900
        self.now = WallClock.seconds(year: currentYear, month: Int(broken.tm_mon) + 1, day: Int(broken.tm_mday),
                                     hour: Int(broken.tm_hour), minute: Int(broken.tm_min), second: Int(broken.tm_sec))
    }

    /// Reads every line of `fd`: syslog text, or `journalctl -o export` when it starts with `__CURSOR=`.
    public mutating func read(_ fd: Int32, name: String) throws(AuditError) {
        report.files.append(name)
        // The first bytes tell the format; they are handed on rather than read again (a pipe cannot be rewound).
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while head.count < 9 {
            let count = Glibc.read(fd, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { break }
            head.append(byte)
            if byte == 0x0A { break }
        }
        if head.elementsEqual("__CURSOR=".utf8) {
            let fields = try JournalExport.forEachEntry(fd, initial: head) { process(journal: $0, realtime: $1) }
            report.lines += fields
        } else {
            try LineReader.forEachLine(fd, initial: head) { line in
                report.lines += 1
                process(line: line)
            }
        }
    }

    mutating func process(line: Bytes) {
        guard let record = LogRecord.parse(line) else { return }
        // Postfix tags its lines NAME/DAEMON (postfix/smtpd, postfix-out/smtp).
        guard line.find(byte: 0x2F, from: record.program.lowerBound).map({ $0 < record.program.upperBound }) == true else { return }
        if let since {
            guard let seconds = LogRecord.wallClock(line, record.time, currentYear: currentYear, now: now), seconds >= since else { return }
        }
        process(message: UnsafeBufferPointer(rebasing: line[record.message])) { line.string(record.time) }
    }

    mutating func process(journal message: Bytes, realtime: Int?) {
        if let since {
            guard let realtime, realtime / 1_000_000 >= since else { return }
        }
        process(message: message) { realtime.map(Self.isoTime) ?? "-" }
    }

    private mutating func process(message: Bytes, time: () -> String) {
        guard let colon = message.find(": "), colon > 0, colon <= 32 else { return }
        let rest = colon + 2
        if message.hasPrefix("client=", at: rest) {
            submission(message, queueID: 0..<colon, at: rest + 7)
        } else if message.hasPrefix("to=<", at: rest) {
            delivery(message, queueID: 0..<colon, at: rest + 4, time: time)
        } else if message.count == rest + 7, message.hasPrefix("removed", at: rest) {
            queue[message.string(0..<colon)] = nil
        } else if message.hasPrefix("milter-reject: RCPT from ", at: rest) {
            refusal(message, at: rest + 25, byMilter: true)
        } else if message.hasPrefix("reject: RCPT from ", at: rest) {
            refusal(message, at: rest + 18, byMilter: false)
        }
    }

    // MARK: events

    /// `QID: client=name[addr]` with optional `, sasl_method=..., sasl_username=...`.
    private mutating func submission(_ message: Bytes, queueID: Range<Int>, at start: Int) {
        guard let open = message.find(byte: 0x5B, from: start), let close = message.find(byte: 0x5D, from: open) else { return }
        var sasl: String?
        if let user = message.find(", sasl_username=", from: close) {
            let valueStart = user + 16
            let valueEnd = message.find(", ", from: valueStart) ?? message.count
            sasl = message.string(valueStart..<valueEnd)
        }
        let id = message.string(queueID)
        sequence += 1
        queue[id] = Submission(client: message.string((open + 1)..<close), saslUsername: sasl, sequence: sequence)
        if queueOrder.count < Self.maximumQueueIDs {
            queueOrder.append(id)
        } else {
            // The ring is full: forget the oldest id, unless it was seen again later (then its newer entry stays).
            let oldest = queueOrder[queueOrderHead]
            if let entry = queue[oldest], entry.sequence <= sequence - Self.maximumQueueIDs { queue[oldest] = nil }
            queueOrder[queueOrderHead] = id
            queueOrderHead = (queueOrderHead + 1) % Self.maximumQueueIDs
        }
    }

    /// `QID: to=<addr>, orig_to=<addr>, relay=..., delay=..., dsn=..., status=sent (...)`.
    private mutating func delivery(_ message: Bytes, queueID: Range<Int>, at start: Int, time: () -> String) {
        let toEnd = message.find(">, ", from: start) ?? message.count
        let to = message.string(start..<toEnd)
        var originalTo: String?
        if message.hasPrefix(", orig_to=<", at: toEnd + 1) {
            let origStart = toEnd + 12
            let origEnd = message.find(">, ", from: origStart) ?? message.count
            originalTo = message.string(origStart..<origEnd)
        }
        let decodedTo = AddressDecoder.decode(to)
        let decodedOriginal = originalTo.map(AddressDecoder.decode)
        let suspicious = isSuspicious(decodedTo) ? decodedTo : decodedOriginal.flatMap { isSuspicious($0) ? $0 : nil }
        guard let suspicious else { return }
        report.deliveryCount += 1
        guard report.deliveries.count < Self.maximumDeliveries else { return }
        let submission = queue[message.string(queueID)]
        report.deliveries.append(AuditReport.Delivery(
            time: time(), queueID: message.string(queueID), client: submission?.client, saslUsername: submission?.saslUsername,
            recipient: to, originalRecipient: originalTo, family: Self.family(suspicious), decodesTo: suspicious.inner,
            relay: field(message, ", relay=", terminator: ", "), status: field(message, ", status=", terminator: " ")))
    }

    /// `QID: milter-reject: RCPT from name[addr]: 550 5.7.1 <rcpt>: text; from=<s> to=<rcpt> proto=... helo=<h>`,
    /// and Postfix's own `reject: RCPT from ...` in the same layout.
    private mutating func refusal(_ message: Bytes, at start: Int, byMilter: Bool) {
        guard let open = message.find(byte: 0x5B, from: start), let close = message.find(byte: 0x5D, from: open) else { return }
        let relayDenied: Bool
        if byMilter {
            relayDenied = false
        } else if message.find("Relay access denied", from: close) != nil {
            relayDenied = true
        } else if message.find("encapsulated or routed address rejected", from: close) != nil
                    || message.find("encapsulated address type", from: close) != nil
                    || message.find("encapsulation nested too deep", from: close) != nil {
            relayDenied = false  // RelayGuard's policy service, in its own words
        } else {
            return
        }
        var family = "-"
        if let from = message.find("; from=<", from: close), let to = message.find(" to=<", from: from) {
            let end = message.find("> ", from: to + 5) ?? (message.count - 1)
            if end > to + 5 { family = Self.family(AddressDecoder.decode(message.string((to + 5)..<end))) }
        }
        report.refusalsByFamily[family, default: 0] += 1
        let client = message.string((open + 1)..<close)
        let index: Int32
        if let known = clientIndex[client] {
            index = known
        } else if clientNames.count < Self.maximumClients {
            index = Int32(clientNames.count)
            clientIndex[client] = index
            clientNames.append(client)
            relayGuardCounts.append(0)
            relayDeniedCounts.append(0)
        } else {
            report.otherClientsRefusals += 1
            return
        }
        if relayDenied { relayDeniedCounts[Int(index)] += 1 } else { relayGuardCounts[Int(index)] += 1 }
        let familyNumber = familyIndex[family] ?? {
            let number = Int32(familyNames.count)
            familyIndex[family] = number
            familyNames.append(family)
            return number
        }()
        clientFamilyCounts[Int64(index) << 32 | Int64(familyNumber), default: 0] += 1
    }

    // MARK: classification

    /// Encapsulated or routed as RelayGuard's rules read it: any routed form, an IMCEA layer whose payload routes, a
    /// type refused outright, or nesting too deep to see through.
    func isSuspicious(_ address: DecodedAddress) -> Bool {
        if address.form.isRouted || address.depthExceeded { return true }
        guard address.form == .imcea else { return false }
        return address.layers.contains { policy.imceaRejectTypes.contains($0.type) } || policy.isRerouteAttempt(address)
    }

    static func family(_ address: DecodedAddress) -> String {
        if address.form == .imcea, let type = address.layers.first?.type { return "imcea:\(type)" }
        return address.form.rawValue
    }

    private func field(_ message: Bytes, _ name: StaticString, terminator: StaticString) -> String {
        guard let start = message.find(name) else { return "-" }
        let valueStart = start + name.utf8CodeUnitCount
        let end = message.find(terminator, from: valueStart) ?? message.count
        return message.string(valueStart..<end)
    }

    static func isoTime(_ microseconds: Int) -> String {
        var seconds = microseconds / 1_000_000
        var broken = tm()
        gmtime_r(&seconds, &broken)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(broken.tm_year + 1900)-\(two(broken.tm_mon + 1))-\(two(broken.tm_mday))T\(two(broken.tm_hour)):\(two(broken.tm_min)):\(two(broken.tm_sec))Z"
    }

    /// The report: the ``reportedClients`` most refused clients (then by address), the rest counted together.
    public func finished() -> AuditReport {
        var result = report
        let order = clientNames.indices.sorted {
            let (a, b) = (relayGuardCounts[$0] + relayDeniedCounts[$0], relayGuardCounts[$1] + relayDeniedCounts[$1])
            return a != b ? a > b : clientNames[$0] < clientNames[$1]
        }
        let shown = Set(order.prefix(Self.reportedClients))
        var families: [Int: [String: Int]] = [:]
        for (key, count) in clientFamilyCounts where shown.contains(Int(key >> 32)) {
            families[Int(key >> 32), default: [:]][familyNames[Int(key & 0xFFFF_FFFF)]] = Int(count)
        }
        result.refusals = order.prefix(Self.reportedClients).map { index in
            AuditReport.ClientRefusals(client: clientNames[index], relayGuard: Int(relayGuardCounts[index]),
                                       relayDenied: Int(relayDeniedCounts[index]), families: families[index] ?? [:])
        }
        for index in order.dropFirst(Self.reportedClients) {
            result.otherClientsRefusals += Int(relayGuardCounts[index] + relayDeniedCounts[index])
        }
        result.otherClients = order.count - result.refusals.count + (report.otherClientsRefusals > 0 ? 1 : 0)
        return result
    }
}
