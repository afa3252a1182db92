import Foundation
import RelayGuardTestSupport
import RelayPolicy
import Testing

/// `PostfixAddressParser` against a real Postfix: every recipient of the adversarial corpus
/// (Tests/RelayPolicyTests/Corpus/recipients.tsv) is sent as `RCPT TO:<row>` through a private Postfix with RelayGuard
/// attached in report mode, and the model's answer is compared with Postfix's, byte for byte: the `{rcpt_addr}`
/// Postfix handed the milter (from RelayGuard's decision log), or the reply Postfix refused the command with.
///
/// The client is in `mynetworks`, so Postfix's own restrictions pass every recipient whose syntax it accepts and the
/// milter sees them all. An SMTP session carries 2,000 rows, in two transactions.
@Suite("Postfix's RCPT parsing, modelled and real")
struct PostfixParseDifferentialTests {
    struct Row: Sendable {
        let id: String
        let recipient: String
    }

    /// The gateway's main.cf as the model needs it (PostfixConfigFiles: `myhostname = myorigin = gateway.test`,
    /// `mydestination` empty, `inet_interfaces = 127.0.0.1`).
    static let settings = PostfixAddressParser.Settings(
        myhostname: "gateway.test", localDomains: [], localAddresses: [IPAddress("127.0.0.1")!])

    /// Rows that cannot be sent as one SMTP command, and why; every other row is compared.
    static func unsendable(_ row: Row) -> String? {
        if row.recipient.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            return "a CR or LF would end the command line"
        }
        if row.recipient.utf8.contains(0) { return "a NUL byte: Postfix's C strings and libmilter's end there" }
        return nil
    }

    /// RFC 822 forms the corpus does not spell out (comments anywhere, quoting, groups, phrases, local domain
    /// literals, empty parts, case folding beyond ASCII), compared the same way.
    static let extraSamples = [
        "<(c)a@corp.example>", "<a(c)@corp.example>", "<a@(c)corp.example>", "<a@corp.example(c)>",
        "<(a(nested)comment)b@corp.example>", "<\"a\\\"b\"@corp.example>", "<\"a\\\\b\"@corp.example>",
        "<a\\@b@corp.example>", "<\"a\".\"b\"@corp.example>", "<a.\"b c\"@corp.example>", "<a\"b\"@corp.example>",
        "<group: a@corp.example;>", "<group: a@corp.example, b@corp.example;>", "<Joe (x) <a@corp.example> (y)>",
        "<<<a@corp.example>>>", "<a@[127.0.0.1]>", "<a%b.example@[127.0.0.1]>", "<b.example!a@[127.0.0.1]>",
        "<\"a@b.example\"@[127.0.0.1]>", "<@[127.0.0.1]:a@corp.example>", "<a@b.example@[127.0.0.1]>",
        "<A.B@CORP.EXAMPLE.>", "<a@corp..example>", "<a..b@corp.example>", "<.a@corp.example>", "<a.@corp.example>",
        "<\"\">", "<\"\"@corp.example>", "<@>", "<a@>", "<@corp.example>", "<a b@corp.example>",
        "<a@corp.example> NOTIFY=NEVER ORCPT=rfc822;a@corp.example", "<a@1.2.3.4>", "<a@[IPv6:::1]>",
        "<a@[ipv6:2001:db8::1]>", "<ÄB@Bücher.example>", "<Straße@corp.example>", "<a|b@corp.example>",
        "<a;b@corp.example>", "<a:b@corp.example>", "<a,b@corp.example>", "<MAILER-DAEMON>", "<a!b!c@corp.example>",
        "<b.example!a>", "<a%b.example%c.example>", "\"<a@corp.example>\"", "<x@corp.example>>", "<x@corp.example",
        "<a@corp.example\\>", "<a@[1.2.3]>", "<a@[0.1.2.3]>", "<a@-x.example>", "<a@x_y.example>", "<a@123>",
        "<a@corp.example. >", "< a@corp.example >", "<a@corp.example x@y.example>", "<a\tb@corp.example>",
        "<-a@corp.example>", "<\"-a\"@corp.example>", "<-a%elsewhere.com>", "<elsewhere.com!-a>", "<a-@corp.example>",
        "<(c)-a@corp.example>", "<-@corp.example%a>", "<a%-b@corp.example>", "<\"-\">", "<IMCEASMTP--a@corp.example>",
        // UTS 46 through ICU, then the A-label as an ASCII hostname: `_` passes, hyphens in places 3 and 4 do not.
        "<a@é_.example>", "<a@_ß>", "<a@_é_>", "<a@é_->", "<a@é--x.example>", "<a@éé--x.example>",
        "<a@ab--cd.é.example>", "<a@xn--é.example>", "<a@é+x.example>", "<a@é.123>", "<a%é_>",
        // A-labels beside a U-label are decoded and checked as U-labels (valid Punycode, not all ASCII, NFC);
        // UTS 46 keeps symbols and punctuation, drops zero width space, maps fullwidth ASCII to ASCII.
        "<a@xn--imceasmtp-corp.é>", "<a@xn--bcher-kva.é>", "<a@XN--BCHER-KVA.é>", "<a@xn--abc-.é>", "<a@xn--.é>",
        "<a@xn--ab.é>", "<a@xn--zzzzzzzzzz.é>", "<a@xn--55qx5d.é>", "<a@xn--ls8h.é>", "<a@xn--a-.é>", "<a@xn---.é>",
        "<a@xn--ab--cd-.é>", "<a@xn--4ca.é>", "<a@xn--bcher-kva.example>", "<a@xn--0ca.é>", "<a@xn--bcher-kva-.é>",
        "<a@xn--ab-.é>", "<a@xn--_-.é>", "<a@xn--a_b-.é>", "<a@xn--mnchen-3ya.é>", "<a@xn--u-ccb.é>", "<a@xn--9ca.é>",
        "<a@💩.é>", "<a@★.é>", "<a@xn--p3h.é>", "<a@xn--Bcher-kva.é>", "<a@xn--ls8h.example>", "<a@✓.é>", "<a@ⅷ.é>",
        "<a@∞.é>", "<a@€.é>", "<a@©.é>", "<a@˂.é>", "<a@¬.é>", "<a@«.é>", "<a@¿.é>", "<a@§.é>", "<a@\u{00A0}x.é>",
        "<a@x\u{200B}.é>", "<a@\u{E000}.é>", "<a@\u{0378}.é>", "<a@\u{2028}.é>", "<a@\u{3000}.é>", "<a@\u{2070}.é>",
        "<a@x\u{00AD}.é>", "<a@x\u{2060}.é>", "<a@x\u{FEFF}.é>", "<a@\u{200B}.é>", "<a@xn--x-\u{00AD}.é>",
        "<a@x\u{200C}.é>", "<a@x\u{0300}.é>", "<a@\u{0300}x.é>", "<a@ｘ.é>", "<a@＋.é>", "<a@x\u{1F3FB}.é>",
        "<a@x\u{200D}.é>", "<a@\u{200C}x.é>", "<a@\u{20DD}x.é>", "<a@x\u{0903}.é>", "<a@ｘ－.é>", "<a@＿x.é>", "<a@xn--ｘ.é>",
        "<a@xn--wca.é>", "<a@xn--tda.é>", "<a@xn--9ca450n.é>", "<a@xn--a-vca2p.é>",
    ]

    static func corpus() throws -> [Row] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../RelayPolicyTests/Corpus/recipients.tsv").standardized.path
        guard let data = FileManager.default.contents(atPath: path) else { throw HarnessError("cannot read \(path)") }
        var lines = data.split(separator: UInt8(ascii: "\n")).map { Array($0) }
        lines.removeAll { $0.first == UInt8(ascii: "#") }
        lines.removeFirst()  // the header
        return lines.map { line in
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map(Self.unescaped)
            return Row(id: fields[0], recipient: fields[2])
        }
    }

    /// The corpus's escapes: `\\`, `\t`, `\n`, `\r`, `\0`.
    static func unescaped(_ raw: ArraySlice<UInt8>) -> String {
        var bytes: [UInt8] = []
        var index = raw.startIndex
        while index < raw.endIndex {
            if raw[index] == UInt8(ascii: "\\"), index + 1 < raw.endIndex {
                index += 1
                switch raw[index] {
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "0"): bytes.append(0x00)
                default: bytes.append(raw[index])
                }
            } else {
                bytes.append(raw[index])
            }
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let postfixParameters = [
        "smtpd_soft_error_limit": "100000", "smtpd_hard_error_limit": "100000", "smtpd_error_sleep_time": "0",
        "smtpd_junk_command_limit": "100000",
        // A recipient outside the relay domain must reach the milter too: not refused for the gateway's `error`
        // default transport, nor as unlisted.
        "default_transport": "discard:", "smtpd_reject_unlisted_recipient": "no",
    ]

    @Test("every corpus recipient and RFC 822 extra: the model's {rcpt_addr} or refusal is Postfix's")
    func modelMatchesPostfix() async throws {
        let rows = try Self.corpus() + Self.extraSamples.enumerated().map { Row(id: "extra-\($0.offset + 1)", recipient: $0.element) }
        #expect(rows.filter { Self.unsendable($0) == nil }.count >= 300, "\(rows.count) rows")
        try await Self.compare(rows, what: "corpus")
    }

    /// Random RCPT arguments from the characters Postfix's tokenizer and RelayGuard's decoder treat specially, mixed
    /// with the pieces of real encapsulations: the corpus holds the forms someone thought of, this finds the ones
    /// nobody did. `RELAYGUARD_DIFFERENTIAL_RECIPIENTS` and `RELAYGUARD_DIFFERENTIAL_SEED` make a longer or another
    /// run (README: long runs); a failure names its seed and row.
    @Test("seeded random RCPT arguments: the model's {rcpt_addr} or refusal is Postfix's")
    func randomArgumentsMatchPostfix() async throws {
        let (seed, rows) = Self.randomRows(stream: 0)
        try await Self.compare(rows, what: "seed \(seed)")
    }

    /// `RELAYGUARD_DIFFERENTIAL_RECIPIENTS` random arguments (1,500 by default) from `RELAYGUARD_DIFFERENTIAL_SEED`
    /// (1), on a `stream` of the seed's own for each test.
    static func randomRows(stream: UInt64) -> (seed: UInt64, rows: [Row]) {
        let environment = ProcessInfo.processInfo.environment
        let count = environment["RELAYGUARD_DIFFERENTIAL_RECIPIENTS"].flatMap { Int($0) } ?? 1_500
        let seed = environment["RELAYGUARD_DIFFERENTIAL_SEED"].flatMap { UInt64($0) } ?? 1
        var random = SplitMix64(seed: seed &+ stream)
        return (seed, (0..<count).map { Row(id: "seed-\(seed)-\($0 + 1)", recipient: Self.randomArgument(using: &random)) })
    }

    /// The two front ends on one Postfix, RelayGuard in report mode: smtpd asks the policy service first (its
    /// `recipient` is the address it parsed), then the milter (the raw argument and `{rcpt_addr}`). The milter sees
    /// more, so whatever the policy service would deny, the milter must deny too; the reverse is what parsing hides
    /// (PolicyServiceVisibilityTests), counted here.
    @Test("seeded random RCPT arguments: the milter would deny whatever the policy service would deny")
    func milterDeniesWhatThePolicyServiceDenies() async throws {
        let (seed, all) = Self.randomRows(stream: 1_000)
        let rows = all.filter { Self.unsendable($0) == nil }
        try await withRelayGuard(["mode = report"], policy: .unix) { relayguard in
            var options = PostfixOptions(milter: relayguard.postfixMilter(), parameters: Self.postfixParameters)
            options.parameters["smtpd_relay_restrictions"] =
                "check_policy_service \(relayguard.postfixPolicyService!), permit_mynetworks, reject_unauth_destination"
            try await withPostfix(options) { postfix in
                // On a thread of its own: the exchange blocks on every reply and every log poll, and the test
                // runner's few cooperative threads are the other suites' meanwhile.
                let port = postfix.smtpPort
                let decided = try await BlockingWork.run { try Self.frontEndLines(rows, port: port, relayguard) }
                var counts = (accepted: decided.count, both: 0, milterOnly: 0, neither: 0, policyNotAsked: 0)
                for (row, policyLine, milter) in decided {
                    let policyDenies = policyLine?["would_deny"] == "yes", milterDenies = milter["would_deny"] == "yes"
                    #expect(!policyDenies || milterDenies,
                            "\(row.id) \(row.recipient.debugDescription): the policy service would deny, the milter would not\n\(policyLine?.description ?? "")\n\(milter)")
                    switch (policyDenies, milterDenies) {
                    case (true, true): counts.both += 1
                    case (false, true): counts.milterOnly += 1
                    default: counts.neither += 1
                    }
                    if policyLine == nil { counts.policyNotAsked += 1 }
                }
                print("Front ends on random RCPT arguments (seed \(seed)): \(counts.accepted) accepted by Postfix "
                      + "(\(counts.policyNotAsked) without asking the policy service); would deny: both \(counts.both), "
                      + "only the milter \(counts.milterOnly), neither \(counts.neither)")
            }
        }
    }

    /// Pieces of an RCPT argument: one is drawn at a time, so specials meet each other and the real forms' parts.
    static let pieces: [String] = [
        "a", "b", "x.y", "IMCEASMTP-", "IMCEAEX-", "IMCEAX400-", "imceasmtp-", "+40", "+2E", "+2B", "+", "-", "_",
        "corp.example", "elsewhere.com", "gateway.test", "[127.0.0.1]", "[IPv6:::1]", "localhost", "postmaster",
        "@", "@", "%", "!", ":", ",", ";", ".", "..", "<", ">", "\"", "\\", "(", ")", "[", "]", " ", "\t", "=", "/",
        "c=us;a= ;p=corp;o=x;s=b;", "é", "ß", "\u{202E}", "#", "$", "'", "*", "?", "{", "|", "}", "~", "&",
        "[1.2.3.4]", "123", "CORP.EXAMPLE", "xn--", "bücher", "MAILER-DAEMON", "\"\"", "@[", "IPv6:", "0",
    ]

    static func randomArgument(using random: inout SplitMix64) -> String {
        let body = (0..<Int.random(in: 1...10, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return body
        case 1: return "<" + body
        case 2: return "<" + body + "> NOTIFY=NEVER"
        default: return "<" + body + ">"
        }
    }

    /// Sends every sendable row as `RCPT TO:` in one SMTP session through a private Postfix with RelayGuard in report
    /// mode, and compares Postfix's answer, and the `{rcpt_addr}` it handed the milter, with the model's.
    static func compare(_ rows: [Row], what: String) async throws {
        let sendable = rows.filter { Self.unsendable($0) == nil }
        let skipped = rows.filter { Self.unsendable($0) != nil }
        try await withRelayGuard(["mode = report"]) { milter in
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: Self.postfixParameters)
            try await withPostfix(options) { postfix in
                // The SMTP exchange blocks on every reply: it runs on a thread of its own, not on one of the test
                // runner's few cooperative threads, which the other suites' waits need meanwhile.
                let port = postfix.smtpPort
                let replies = try await BlockingWork.run { try Self.rcptReplies(sendable, port: port) }
                // Every row Postfix accepted reached the milter, whatever the model said: a row the model wrongly
                // refused (nil: nothing to compare) still takes its place in the log's order, so one disagreement is
                // one issue, not a shifted comparison of every row after it.
                var reachedMilter: [(row: Row, rcptAddr: String?)] = []
                var refused = 0
                for (row, reply) in zip(sendable, replies) {
                    let answer = "\(reply.code) \(reply.text)"
                    switch PostfixAddressParser.parse(rcptArgument: row.recipient, settings: Self.settings) {
                    case .refused(let expected):
                        refused += 1
                        #expect(answer == expected, "\(row.id) \(row.recipient.debugDescription): Postfix answered \(answer)")
                        if reply.code == 250 { reachedMilter.append((row, nil)) }
                    case .parsed(_, let rcptAddr):
                        #expect(reply.code == 250, "\(row.id) \(row.recipient.debugDescription): model \(rcptAddr), Postfix answered \(answer)")
                        if reply.code == 250 { reachedMilter.append((row, rcptAddr)) }
                    }
                }
                let decisions = try await milter.waitForDecisions(reachedMilter.count, timeout: .seconds(30))
                #expect(decisions.count == reachedMilter.count)
                for (sent, decision) in zip(reachedMilter, decisions) {
                    guard let rcptAddr = sent.rcptAddr else { continue }
                    // The log names {rcpt_addr} as rcpt_addr= unless it is the recipient the line decided.
                    let logged = decision["rcpt_addr"] ?? decision.recipient
                    #expect(logged == "<\(rcptAddr)>",
                            "\(sent.row.id) \(sent.row.recipient.debugDescription): model \(rcptAddr), Postfix \(logged ?? "-")")
                }
                print("Postfix parse model vs Postfix (\(what)): \(reachedMilter.count { $0.rcptAddr != nil }) rows compared by {rcpt_addr}, "
                      + "\(refused) by Postfix's refusal, \(skipped.count) not sendable: "
                      + skipped.map { "\($0.id) (\(Self.unsendable($0)!))" }.joined(separator: ", "))
            }
        }
    }

    /// Rows to an SMTP session and to a transaction: a long run meets no per-session limit and a session's
    /// transcript (kept for failure messages) stays small, and not more transactions, for cleanup can wait up to a
    /// second for a new queue ID.
    private static let sessionRows = 2_000, transactionRows = 1_000

    /// Opens an SMTP session (EHLO) for every `sessionRows` rows and a transaction (MAIL FROM, after RSET) for every
    /// `transactionRows` of them, and calls `each` with the open session and each row, in order, within its
    /// transaction; `each` sends the row's RCPT.
    private static func inSessions(_ rows: [Row], port: UInt16, _ each: (RawSMTPSession, Row) throws -> Void) throws {
        for chunk in stride(from: 0, to: rows.count, by: sessionRows) {
            let session = try RawSMTPSession(port: port)
            guard try session.send("EHLO client.test").code == 250 else { throw HarnessError(session.transcriptText) }
            for (index, row) in rows[chunk..<min(chunk + sessionRows, rows.count)].enumerated() {
                if index % transactionRows == 0 {
                    if index > 0 { try session.send("RSET") }
                    let reply = try session.send("MAIL FROM:<differential@outside.example> SMTPUTF8")
                    guard reply.code == 250 else { throw HarnessError("MAIL FROM: \(reply)\n\(session.transcriptText)") }
                }
                try each(session, row)
            }
            try session.send("QUIT")
        }
    }

    /// Postfix's reply to `RCPT TO:` and each row, in the sessions and transactions of `inSessions`.
    static func rcptReplies(_ rows: [Row], port: UInt16) throws -> [SMTPReply] {
        var replies: [SMTPReply] = []
        try inSessions(rows, port: port) { session, row in replies.append(try session.send("RCPT TO:" + row.recipient)) }
        return replies
    }

    /// For every row Postfix accepts, the policy service's decision line (nil when smtpd did not ask it: a bare
    /// `postmaster`) and the milter's, which smtpd asks last, so its line ends the RCPT's lines.
    static func frontEndLines(_ rows: [Row], port: UInt16, _ relayguard: RelayGuardProcess) throws
        -> [(Row, MilterDecisionLine?, MilterDecisionLine)] {
        var decided: [(Row, MilterDecisionLine?, MilterDecisionLine)] = []
        try inSessions(rows, port: port) { session, row in
            let mark = relayguard.logMark()
            guard try session.send("RCPT TO:" + row.recipient).code == 250 else { return }
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while true {
                let lines = relayguard.log(since: mark).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                    .compactMap(MilterDecisionLine.init)
                if let milter = lines.first(where: { $0["frontend"] == nil }) {
                    decided.append((row, lines.first { $0["frontend"] == "policy" }, milter))
                    return
                }
                guard ContinuousClock.now < deadline else { throw HarnessError("\(row.id): no milter line in 30 s") }
                usleep(1_000)
            }
        }
        return decided
    }
}
