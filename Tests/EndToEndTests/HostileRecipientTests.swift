import Foundation
import Testing

/// The must-deny rows of the adversarial corpus (Tests/RelayPolicyTests/Corpus/recipients.tsv) and a curated set of
/// spellings a client can put on the wire (whitespace, parameters, unbalanced brackets), through a real Postfix
/// gateway for corp.example, from an outside XCLIENT address, each RCPT sent byte for byte.
///
/// Who refused is shown, not assumed: a control run sends every recipient to the same Postfix without the milter.
/// What the control accepts reaches the milter (Postfix runs its own restrictions first), and there RelayGuard must
/// refuse it with a decision line of its own; what the control refuses, Postfix refuses with the milter too, and
/// RelayGuard never sees it.
@Suite("Hostile recipients through Postfix and RelayGuard")
struct HostileRecipientTests {
    struct Hostile: Sendable {
        let family: String
        /// What follows `RCPT TO:`, exactly as sent.
        let argument: String
    }

    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"

    static let samples: [Hostile] = [
        // IMCEA types, spellings and escapes.
        Hostile(family: "imcea-smtp", argument: "<\(imcea)>"),
        Hostile(family: "imcea-case", argument: "<imceasmtp-victim+40elsewhere+2ecom@corp.example>"),
        Hostile(family: "imcea-type-escape", argument: "<IMCEAS+4DTP-victim+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-x500", argument: "<IMCEAX500-_O=CONTOSO_CN=bob@corp.example>"),
        Hostile(family: "imcea-invalid", argument: "<IMCEAinvalid-victim+40elsewhere+2Ecom@corp.example>"),
        // An unquoted `;` is an RFC 821 syntax error to Postfix (501 5.1.3); quoted, the `@` inside makes it routed.
        Hostile(family: "imcea-x400", argument: "<IMCEAX400-c=US;a=+20;p=Contoso;o=Exchange;dda+3ASMTP=victim+40elsewhere+2Ecom;@corp.example>"),
        Hostile(family: "imcea-x400-quoted", argument: "<\"IMCEAX400-c=US;dda:SMTP=victim@elsewhere.com\"@corp.example>"),
        Hostile(family: "imcea-x400-escaped-semicolons", argument: "<IMCEAX400-c=US+3Bdda+3ASMTP=victim+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-x400-slash", argument: "<IMCEAX400-_c=US_dda+3ARFC-822=victim+40elsewhere+2Ecom_@corp.example>"),
        // Issue 10: the X.400 text form as Exchange reads it, and payloads that route under any IMCEA type.
        Hostile(family: "imcea-x400-tab", argument: "<IMCEAX400-c=US+3Ba=+20+3Bp=Org+3Bo=Site+3Bs=victim+3B+09dda+3ASMTP=victim+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-x400-rfc2156", argument: "<IMCEAX400-c=US+3Bd+5Cda+3ARFC822+20=victim+28a+29elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-notes", argument: "<IMCEANOTES-victim+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-fax", argument: "<IMCEAFAX-victim+25elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-mobile", argument: "<IMCEAMOBILE-elsewhere+2Ecom+21victim@corp.example>"),
        Hostile(family: "imcea-type-nearmiss", argument: "<IMCEASMTP+20-victim+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-hex +4", argument: "<IMCEASMTP-victim+4+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-hex +ZZ", argument: "<IMCEASMTP-victim+ZZ+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-hex +00", argument: "<IMCEASMTP-victim+00+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-underscore", argument: "<IMCEASMTP-a_b+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-utf8", argument: "<IMCEASMTP-UTF8-j+C3+BCrgen+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "imcea-nested-2", argument: "<IMCEASMTP-IMCEASMTP-victim+2B40elsewhere+2B2Ecom+40corp+2Eexample@corp.example>"),
        Hostile(family: "imcea-nested-9", argument: "<\(nested(9))>"),
        Hostile(family: "imcea-nested-x500", argument: "<IMCEASMTP-IMCEAX500-+5FO=CONTOSO+5FCN=bob+40corp+2Eexample@corp.example>"),
        Hostile(family: "imcea-quoted", argument: "<\"IMCEASMTP-victim+40elsewhere+2Ecom\"@corp.example>"),
        // The reply would quote a 950-byte recipient, past libmilter's MAXREPLYLEN: RelayGuard rejects without a text
        // and Postfix answers its generic `550 5.7.1 Command rejected`.
        Hostile(family: "imcea-long", argument: "<IMCEASMTP-" + String(repeating: "+41", count: 300) + "+40elsewhere+2Ecom@corp.example>"),
        // Quoted local parts. reject_unauth_destination refuses sender-specified routing (`@`, `%`, `!` in the local
        // part) even to a relay domain, so Postfix answers all routed forms before the milter's RCPT stage.
        Hostile(family: "quoted @", argument: "<\"victim@elsewhere.com\"@corp.example>"),
        Hostile(family: "quoted %", argument: "<\"victim%elsewhere.com\"@corp.example>"),
        Hostile(family: "quoted !", argument: "<\"elsewhere.com!victim\"@corp.example>"),
        // Percent, bang, source routes, several @.
        Hostile(family: "percent", argument: "<victim%elsewhere.com@corp.example>"),
        Hostile(family: "bang", argument: "<elsewhere.com!victim@corp.example>"),
        Hostile(family: "bang+percent", argument: "<elsewhere.com!victim%other.example@corp.example>"),
        Hostile(family: "multiple-at", argument: "<victim@elsewhere.com@corp.example>"),
        // Finding F1's forms (IMCEA hiding routing syntax): Postfix's routing check catches them on this gateway.
        Hostile(family: "F1 IMCEAEX percent", argument: "<IMCEAEX-victim%elsewhere.com@corp.example>"),
        Hostile(family: "F1 IMCEAFAX multiple-at", argument: "<IMCEAFAX-victim@elsewhere.com@corp.example>"),
        Hostile(family: "route", argument: "<@hop.example:victim@elsewhere.com>"),
        Hostile(family: "route, two hops", argument: "<@a.example,@b.example:victim@elsewhere.com>"),
        Hostile(family: "route to a percent hack", argument: "<@hop.example:victim%elsewhere.com@corp.example>"),
        Hostile(family: "route to IMCEA", argument: "<@hop.example:\(imcea)>"),
        Hostile(family: "route through ourselves", argument: "<@corp.example:victim@elsewhere.com>"),
        // Open-relay scanner families at an IP literal (not ours, then ours) and without a domain.
        Hostile(family: "scanner to%dom@[ip]", argument: "<victim%elsewhere.com@[192.0.2.25]>"),
        Hostile(family: "scanner \"to@dom\"@[ip]", argument: "<\"victim@elsewhere.com\"@[192.0.2.25]>"),
        Hostile(family: "scanner @[ip]:to@dom", argument: "<@[192.0.2.25]:victim@elsewhere.com>"),
        Hostile(family: "scanner dom!to@[ip]", argument: "<elsewhere.com!victim@[192.0.2.25]>"),
        Hostile(family: "scanner to@dom@[ip]", argument: "<victim@elsewhere.com@[192.0.2.25]>"),
        Hostile(family: "scanner \"to%dom\"@[ip]", argument: "<\"victim%elsewhere.com\"@[192.0.2.25]>"),
        Hostile(family: "scanner to%dom@[our ip]", argument: "<victim%elsewhere.com@[127.0.0.1]>"),
        Hostile(family: "scanner \"to@dom\"@[our ip]", argument: "<\"victim@elsewhere.com\"@[127.0.0.1]>"),
        Hostile(family: "scanner to%dom", argument: "<victim%elsewhere.com>"),
        Hostile(family: "scanner dom!to", argument: "<elsewhere.com!victim>"),
        // SMTPUTF8 and overlong.
        Hostile(family: "smtputf8 percent", argument: "<jürgen%bücher.example@corp.example>"),
        Hostile(family: "smtputf8 quoted", argument: "<\"jürgen@bücher.example\"@corp.example>"),
        Hostile(family: "smtputf8 imcea", argument: "<IMCEASMTP-UTF8-j+C3+BCrgen+40b+C3+BCcher+2Eexample@corp.example>"),
        Hostile(family: "overlong percent", argument: "<" + String(repeating: "x", count: 1000) + "%elsewhere.com@corp.example>"),
        // Whitespace and brackets as a sloppy or hostile client writes them.
        // Each with its own local part, so the milter's log tells them apart.
        Hostile(family: "space after colon", argument: " <IMCEASMTP-space+40elsewhere+2Ecom@corp.example>"),
        Hostile(family: "no brackets", argument: "IMCEASMTP-bare+40elsewhere+2Ecom@corp.example"),
        Hostile(family: "unbalanced <", argument: "<IMCEASMTP-unbalanced+40elsewhere+2Ecom@corp.example"),
        Hostile(family: "trailing comma", argument: "<IMCEASMTP-comma+40elsewhere+2Ecom@corp.example,>"),
        Hostile(family: "trailing dot", argument: "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example.>"),
        Hostile(family: "comment after the local part", argument: "<IMCEASMTP-victim+40elsewhere+2Ecom(c)@corp.example>"),
        Hostile(family: "ESMTP parameter", argument: "<IMCEASMTP-notify+40elsewhere+2Ecom@corp.example> NOTIFY=NEVER"),
    ]

    /// `victim@elsewhere.com` encapsulated `depth` times, as Exchange would (see the corpus generator).
    static func nested(_ depth: Int) -> String {
        var address = "victim@elsewhere.com"
        for _ in 0..<depth {
            var encoded = "IMCEASMTP-"
            for byte in address.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "="):
                    encoded.append(Character(Unicode.Scalar(byte)))
                default:
                    encoded += (byte < 16 ? "+0" : "+") + String(byte, radix: 16, uppercase: true)
                }
            }
            address = encoded + "@corp.example"
        }
        return address
    }

    /// Postfix's error limits would otherwise slow down (soft limit) or drop (hard limit) a session with hundreds of
    /// refused recipients.
    static let postfixParameters = [
        "smtpd_soft_error_limit": "1000", "smtpd_hard_error_limit": "1000", "smtpd_error_sleep_time": "0",
    ]

    static let delivered = "alice@corp.example"

    /// The must-deny corpus rows that can be written on one command line, then the curated samples; and the ids of
    /// the rows that cannot (a CR, LF or NUL in the recipient).
    static func probes() throws -> (probes: [Hostile], unsendable: [String]) {
        let rows = try RecipientCorpus.mustDeny()
        let probes = rows.compactMap { row in row.rcptArgument.map { Hostile(family: row.id, argument: $0) } }
        let unsendable = rows.filter { $0.rcptArgument == nil }.map(\.id)
        return (probes + samples, unsendable)
    }

    /// Sends `samples` over one SMTP session, `perTransaction` RCPTs to a transaction, and returns the reply to each.
    /// With `deliver`, each transaction ends with `delivered` as its last recipient and a message, so the sink shows
    /// what got through; without, with RSET. The session blocks on every reply, so it runs on a thread of its own.
    static func send(_ samples: [Hostile], to postfix: PostfixInstance, deliver: Bool = true, perTransaction: Int = 12)
        async throws -> [SMTPReply]
    {
        try await BlockingWork.run {
            var replies: [SMTPReply] = []
            let session = try RawSMTPSession(port: postfix.smtpPort)
            func expect(_ reply: SMTPReply, _ code: Int) throws {
                guard reply.code == code else { throw HarnessError("expected \(code):\n\(session.transcriptText.suffix(3000))") }
            }
            try expect(session.send("EHLO client.test"), 250)
            try expect(session.send("XCLIENT ADDR=203.0.113.9"), 220)
            try expect(session.send("EHLO client.test"), 250)
            for start in stride(from: 0, to: samples.count, by: perTransaction) {
                let batch = samples[start..<min(start + perTransaction, samples.count)]
                try expect(session.send("MAIL FROM:<hostile\(start)@outside.example> SMTPUTF8"), 250)
                for sample in batch {
                    replies.append(try session.send("RCPT TO:" + sample.argument))
                }
                if deliver {
                    try expect(session.send("RCPT TO:<\(delivered)>"), 250)
                    try expect(session.send("DATA"), 354)
                    try expect(session.send("Subject: hostile recipients \(start)\r\n\r\nbody\r\n."), 250)
                } else {
                    try expect(session.send("RSET"), 250)
                }
            }
            try session.send("QUIT")
            return replies
        }
    }

    /// `<a@b>`, ` <a@b>` and `a@b` alike, to match a sample with the argument Postfix passed to the milter.
    static func core(_ argument: String) -> String {
        var text = Substring(argument.trimmingCharacters(in: .whitespaces))
        if let space = text.firstIndex(of: " "), text.hasPrefix("<"), let close = text.lastIndex(of: ">"), close < space {
            text = text[...close]  // drop ESMTP parameters
        }
        if text.hasPrefix("<") { text = text.dropFirst() }
        if text.hasSuffix(">") { text = text.dropLast() }
        return String(text.trimmingCharacters(in: .whitespaces))
    }

    @Test("every must-deny corpus row Postfix alone accepts is refused by RelayGuard with its decision line; none is delivered")
    func mustDenyCorpus() async throws {
        let (probes, unsendable) = try Self.probes()
        #expect(probes.count > 300, "must-deny rows and samples: \(probes.count)")
        let perTransaction = 100

        // The control: the same gateway without the milter.
        let control = try await withPostfix(PostfixOptions(parameters: Self.postfixParameters)) { postfix in
            try await Self.send(probes, to: postfix, deliver: false, perTransaction: perTransaction)
        }
        #expect(control.allSatisfy { $0.code == 250 || $0.isPermanentFailure }, "\(control.filter { $0.code != 250 && !$0.isPermanentFailure })")

        try await withRelayGuard { milter in
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: Self.postfixParameters)
            try await withPostfix(options) { postfix in
                let replies = try await Self.send(probes, to: postfix, perTransaction: perTransaction)
                try await postfix.waitForQueueToDrain()

                // RelayGuard decides exactly what Postfix let through, in RCPT order: per transaction the probes the
                // control accepted, then the delivered recipient.
                var expected: [Hostile?] = []
                for start in stride(from: 0, to: probes.count, by: perTransaction) {
                    let end = min(start + perTransaction, probes.count)
                    expected += (start..<end).filter { control[$0].code == 250 }.map { probes[$0] } + [nil]
                }
                let decisions = try await milter.waitForDecisions(expected.count)
                #expect(decisions.count == expected.count, "\(decisions.count) decisions, \(expected.count) expected")
                var decisionFor: [String: MilterDecisionLine] = [:]
                for (probe, decision) in zip(expected, decisions) {
                    guard let probe else {
                        #expect(decision.recipient == "<\(Self.delivered)>" && decision["verdict"] == "continue", "\(decision)")
                        continue
                    }
                    decisionFor[probe.family] = decision
                    // The raw argument, or Postfix's parsed (lowercased) {rcpt_addr} when that is what was denied
                    // (RFC 822 forms such as <<a@b>> or <IMCEA\\SMTP-…>): either way a part of what was sent, give or
                    // take backslash quoting.
                    let decided = Self.core(decision.recipient ?? "").lowercased().replacingOccurrences(of: "\\", with: "")
                    let sent = probe.argument.lowercased().replacingOccurrences(of: "\\", with: "")
                    #expect(!decided.isEmpty && sent.contains(decided), "\(probe.family): \(decision)")
                }

                var table: [String] = []
                var byRelayGuard = 0
                for (index, (probe, reply)) in zip(probes, replies).enumerated() {
                    #expect(reply.isPermanentFailure, "\(probe.family) RCPT TO:\(probe.argument.prefix(200)) -> \(reply)")
                    if control[index].code == 250 {
                        byRelayGuard += 1
                        let decision = decisionFor[probe.family]
                        #expect(decision?["verdict"] == "reject", "\(probe.family): \(decision?.description ?? "no decision")")
                        table.append("\(reply.code) relayguard \(decision?["rule"] ?? "?") \(probe.family)")
                    } else {
                        // Postfix's own refusal, the same with the milter attached.
                        #expect(reply == control[index], "\(probe.family): \(reply) with the milter, \(control[index]) without")
                        table.append("\(reply.code) postfix \(probe.family): \(reply.text.prefix(50))")
                    }
                }
                let arrived = try postfix.sink.recipients()
                let transactions = (probes.count + perTransaction - 1) / perTransaction
                #expect(arrived == Array(repeating: Self.delivered, count: transactions), "\(arrived)\n\(postfix.maillog())")
                print("hostile recipients: \(probes.count) sent (\(probes.count - Self.samples.count) corpus rows, \(Self.samples.count) samples), "
                    + "\(byRelayGuard) refused by RelayGuard, \(probes.count - byRelayGuard) by Postfix; "
                    + "not sendable on one line: \(unsendable)\n" + table.joined(separator: "\n"))
            }
        }
    }

    /// Issue 10 section 2: only a payload that names another hop is a reroute attempt; a legacyExchangeDN (real mail
    /// after migrations) and connector addresses without `@`, `%` or `!` are delivered.
    @Test("IMCEA payloads that name no other hop are delivered (a legacyExchangeDN, a fax number, a Notes name)")
    func encapsulatedWithoutRoutingIsDelivered() async throws {
        let kept = ["IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=alice@corp.example",
                    "IMCEAFAX-+2B1+20555+201234@corp.example", "IMCEANOTES-Bob+20Smith_Contoso@corp.example"]
        let samples = kept.map { Hostile(family: "kept", argument: "<\($0)>") }
        try await withRelayGuard { milter in
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: Self.postfixParameters)
            try await withPostfix(options) { postfix in
                let replies = try await Self.send(samples, to: postfix)
                try await postfix.waitForQueueToDrain()
                #expect(replies.map(\.code) == [250, 250, 250], "\(replies)")
                let passed = milter.log().split(separator: "\n").compactMap(MilterDecisionLine.init)
                    .filter { $0["rule"] == "pass" }.compactMap(\.recipient)
                // The log names the parsed {rcpt_addr} when both pass, which Postfix hands over lowercased.
                #expect(Set(passed.map { $0.lowercased() }) == Set((kept + [Self.delivered]).map { "<\($0)>".lowercased() }),
                        "\(passed)")
                #expect(try postfix.sink.recipients().sorted() == (kept + [Self.delivered]).sorted())
            }
        }
    }

    /// Finding F3: Postfix parses the RCPT argument as an RFC 822 address (comments, a phrase before a route
    /// address, nested brackets, backslash quoting, a leading `,`) and relays the address it finds, while RelayGuard
    /// decodes the raw argument and sees a plain address or an unknown IMCEA type. Every one of these reaches the
    /// sink as `IMCEASMTP-victim+40elsewhere+2Ecom@corp.example`.
    static let parserMismatch = [
        "<<\(imcea)>>", "<x<\(imcea)>>", "<Joe <\(imcea)>>", "<\"Joe\" <\(imcea)>>", "<(c)\(imcea)>",
        "<IMCEA\\SMTP-victim+40elsewhere+2Ecom@corp.example>", "<\\\(imcea)>", "<,\(imcea)>",
    ]

    @Test("RFC 822 syntax that Postfix strips (<<a>>, <Joe <a>>, comments, backslashes) does not hide an IMCEA recipient")
    func postfixParserMismatch() async throws {
        let samples = Self.parserMismatch.map { Hostile(family: "F3", argument: $0) }
        try await withRelayGuard { milter in
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: Self.postfixParameters)
            try await withPostfix(options) { postfix in
                let replies = try await Self.send(samples, to: postfix)
                try await postfix.waitForQueueToDrain()
                let arrived = try postfix.sink.recipients()
                // RelayGuard decides Postfix's parsed {rcpt_addr} as well as the raw argument.
                for (sample, reply) in zip(samples, replies) {
                    #expect(reply.isPermanentFailure, "RCPT TO:\(sample.argument) -> \(reply)")
                }
                #expect(arrived == [Self.delivered], "\(arrived)")
            }
        }
    }
}
