import Foundation
import Testing

/// The must-deny part of the adversarial corpus (Tests/RelayPolicyTests/Corpus) through a real Postfix gateway for
/// corp.example with RelayGuard on its defaults, from an outside XCLIENT address.
///
/// Each sample is one RCPT, sent byte for byte (a source route or a doubled bracket cannot go through swaks), a
/// dozen to a transaction together with one ordinary recipient, so every transaction is delivered and the sink shows
/// exactly what got through. What matters is asserted for every sample: a 5xx at RCPT and no delivery. Who refused
/// it is asserted too: Postfix refuses some forms itself before the milter sees them (a source route is dropped
/// and the rest is relaying; an IP literal that is not ours is not a relay domain), RelayGuard refuses the rest.
@Suite("Hostile recipients through Postfix and RelayGuard")
struct HostileRecipientTests {
    enum RefusedBy: String, Sendable {
        /// RelayGuard's reply (`encapsulated or routed address rejected`, or `encapsulated address type … is not
        /// accepted`), and a reject decision in its log.
        case relayGuard
        /// Postfix's own restrictions (`Relay access denied`) or syntax checks; the milter never decided it.
        case postfix
    }

    struct Hostile: Sendable {
        let family: String
        /// What follows `RCPT TO:`, exactly as sent.
        let argument: String
        let refusedBy: RefusedBy
    }

    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"

    static let samples: [Hostile] = [
        // IMCEA types, spellings and escapes.
        Hostile(family: "imcea-smtp", argument: "<\(imcea)>", refusedBy: .relayGuard),
        Hostile(family: "imcea-case", argument: "<imceasmtp-victim+40elsewhere+2ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-type-escape", argument: "<IMCEAS+4DTP-victim+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-x500", argument: "<IMCEAX500-_O=CONTOSO_CN=bob@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-invalid", argument: "<IMCEAinvalid-victim+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        // An unquoted `;` is an RFC 821 syntax error to Postfix (501 5.1.3); quoted, the `@` inside makes it routed.
        Hostile(family: "imcea-x400", argument: "<IMCEAX400-c=US;a=+20;p=Contoso;o=Exchange;dda+3ASMTP=victim+40elsewhere+2Ecom;@corp.example>", refusedBy: .postfix),
        Hostile(family: "imcea-x400-quoted", argument: "<\"IMCEAX400-c=US;dda:SMTP=victim@elsewhere.com\"@corp.example>", refusedBy: .postfix),
        Hostile(family: "imcea-x400-escaped-semicolons", argument: "<IMCEAX400-c=US+3Bdda+3ASMTP=victim+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-x400-slash", argument: "<IMCEAX400-_c=US_dda+3ARFC-822=victim+40elsewhere+2Ecom_@corp.example>", refusedBy: .relayGuard),
        // Issue 10: the X.400 text form as Exchange reads it, and payloads that route under any IMCEA type.
        Hostile(family: "imcea-x400-tab", argument: "<IMCEAX400-c=US+3Ba=+20+3Bp=Org+3Bo=Site+3Bs=victim+3B+09dda+3ASMTP=victim+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-x400-rfc2156", argument: "<IMCEAX400-c=US+3Bd+5Cda+3ARFC822+20=victim+28a+29elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-notes", argument: "<IMCEANOTES-victim+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-fax", argument: "<IMCEAFAX-victim+25elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-mobile", argument: "<IMCEAMOBILE-elsewhere+2Ecom+21victim@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-type-nearmiss", argument: "<IMCEASMTP+20-victim+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-hex +4", argument: "<IMCEASMTP-victim+4+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-hex +ZZ", argument: "<IMCEASMTP-victim+ZZ+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-hex +00", argument: "<IMCEASMTP-victim+00+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-underscore", argument: "<IMCEASMTP-a_b+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-utf8", argument: "<IMCEASMTP-UTF8-j+C3+BCrgen+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-nested-2", argument: "<IMCEASMTP-IMCEASMTP-victim+2B40elsewhere+2B2Ecom+40corp+2Eexample@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-nested-9", argument: "<\(nested(9))>", refusedBy: .relayGuard),
        Hostile(family: "imcea-nested-x500", argument: "<IMCEASMTP-IMCEAX500-+5FO=CONTOSO+5FCN=bob+40corp+2Eexample@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "imcea-quoted", argument: "<\"IMCEASMTP-victim+40elsewhere+2Ecom\"@corp.example>", refusedBy: .relayGuard),
        // The reply would quote a 950-byte recipient, past libmilter's MAXREPLYLEN: RelayGuard rejects without a text
        // and Postfix answers its generic `550 5.7.1 Command rejected`.
        Hostile(family: "imcea-long", argument: "<IMCEASMTP-" + String(repeating: "+41", count: 300) + "+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        // Quoted local parts. reject_unauth_destination refuses sender-specified routing (`@`, `%`, `!` in the local
        // part) even to a relay domain, so Postfix answers all routed forms before the milter's RCPT stage.
        Hostile(family: "quoted @", argument: "<\"victim@elsewhere.com\"@corp.example>", refusedBy: .postfix),
        Hostile(family: "quoted %", argument: "<\"victim%elsewhere.com\"@corp.example>", refusedBy: .postfix),
        Hostile(family: "quoted !", argument: "<\"elsewhere.com!victim\"@corp.example>", refusedBy: .postfix),
        // Percent, bang, source routes, several @.
        Hostile(family: "percent", argument: "<victim%elsewhere.com@corp.example>", refusedBy: .postfix),
        Hostile(family: "bang", argument: "<elsewhere.com!victim@corp.example>", refusedBy: .postfix),
        Hostile(family: "bang+percent", argument: "<elsewhere.com!victim%other.example@corp.example>", refusedBy: .postfix),
        Hostile(family: "multiple-at", argument: "<victim@elsewhere.com@corp.example>", refusedBy: .postfix),
        // Finding F1's forms (IMCEA hiding routing syntax): Postfix's routing check catches them on this gateway.
        Hostile(family: "F1 IMCEAEX percent", argument: "<IMCEAEX-victim%elsewhere.com@corp.example>", refusedBy: .postfix),
        Hostile(family: "F1 IMCEAFAX multiple-at", argument: "<IMCEAFAX-victim@elsewhere.com@corp.example>", refusedBy: .postfix),
        Hostile(family: "route", argument: "<@hop.example:victim@elsewhere.com>", refusedBy: .postfix),
        Hostile(family: "route, two hops", argument: "<@a.example,@b.example:victim@elsewhere.com>", refusedBy: .postfix),
        Hostile(family: "route to a percent hack", argument: "<@hop.example:victim%elsewhere.com@corp.example>", refusedBy: .postfix),
        Hostile(family: "route to IMCEA", argument: "<@hop.example:\(imcea)>", refusedBy: .relayGuard),
        Hostile(family: "route through ourselves", argument: "<@corp.example:victim@elsewhere.com>", refusedBy: .postfix),
        // Open-relay scanner families at an IP literal (not ours, then ours) and without a domain.
        Hostile(family: "scanner to%dom@[ip]", argument: "<victim%elsewhere.com@[192.0.2.25]>", refusedBy: .postfix),
        Hostile(family: "scanner \"to@dom\"@[ip]", argument: "<\"victim@elsewhere.com\"@[192.0.2.25]>", refusedBy: .postfix),
        Hostile(family: "scanner @[ip]:to@dom", argument: "<@[192.0.2.25]:victim@elsewhere.com>", refusedBy: .postfix),
        Hostile(family: "scanner dom!to@[ip]", argument: "<elsewhere.com!victim@[192.0.2.25]>", refusedBy: .postfix),
        Hostile(family: "scanner to@dom@[ip]", argument: "<victim@elsewhere.com@[192.0.2.25]>", refusedBy: .postfix),
        Hostile(family: "scanner \"to%dom\"@[ip]", argument: "<\"victim%elsewhere.com\"@[192.0.2.25]>", refusedBy: .postfix),
        Hostile(family: "scanner to%dom@[our ip]", argument: "<victim%elsewhere.com@[127.0.0.1]>", refusedBy: .postfix),
        Hostile(family: "scanner \"to@dom\"@[our ip]", argument: "<\"victim@elsewhere.com\"@[127.0.0.1]>", refusedBy: .postfix),
        Hostile(family: "scanner to%dom", argument: "<victim%elsewhere.com>", refusedBy: .postfix),
        Hostile(family: "scanner dom!to", argument: "<elsewhere.com!victim>", refusedBy: .postfix),
        // SMTPUTF8 and overlong.
        Hostile(family: "smtputf8 percent", argument: "<jürgen%bücher.example@corp.example>", refusedBy: .postfix),
        Hostile(family: "smtputf8 quoted", argument: "<\"jürgen@bücher.example\"@corp.example>", refusedBy: .postfix),
        Hostile(family: "smtputf8 imcea", argument: "<IMCEASMTP-UTF8-j+C3+BCrgen+40b+C3+BCcher+2Eexample@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "overlong percent", argument: "<" + String(repeating: "x", count: 1000) + "%elsewhere.com@corp.example>", refusedBy: .postfix),
        // Whitespace and brackets as a sloppy or hostile client writes them.
        // Each with its own local part, so the milter's log tells them apart.
        Hostile(family: "space after colon", argument: " <IMCEASMTP-space+40elsewhere+2Ecom@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "no brackets", argument: "IMCEASMTP-bare+40elsewhere+2Ecom@corp.example", refusedBy: .relayGuard),
        Hostile(family: "unbalanced <", argument: "<IMCEASMTP-unbalanced+40elsewhere+2Ecom@corp.example", refusedBy: .postfix),
        Hostile(family: "trailing comma", argument: "<IMCEASMTP-comma+40elsewhere+2Ecom@corp.example,>", refusedBy: .relayGuard),
        Hostile(family: "trailing dot", argument: "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example.>", refusedBy: .relayGuard),
        Hostile(family: "comment after the local part", argument: "<IMCEASMTP-victim+40elsewhere+2Ecom(c)@corp.example>", refusedBy: .relayGuard),
        Hostile(family: "ESMTP parameter", argument: "<IMCEASMTP-notify+40elsewhere+2Ecom@corp.example> NOTIFY=NEVER", refusedBy: .relayGuard),
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

    /// Postfix's error limits would otherwise slow down (soft limit) or drop (hard limit) a session with a dozen
    /// refused recipients.
    static let postfixParameters = [
        "smtpd_soft_error_limit": "100", "smtpd_hard_error_limit": "100", "smtpd_error_sleep_time": "0",
    ]

    static let delivered = "alice@corp.example"

    /// Sends `samples` in transactions of `perTransaction`, each with `delivered` as its last recipient and a body, and
    /// returns the reply to each sample's RCPT.
    static func send(_ samples: [Hostile], to postfix: PostfixInstance, perTransaction: Int = 12) throws -> [SMTPReply] {
        var replies: [SMTPReply] = []
        for start in stride(from: 0, to: samples.count, by: perTransaction) {
            let batch = samples[start..<min(start + perTransaction, samples.count)]
            let session = try RawSMTPSession(port: postfix.smtpPort)
            func expect(_ reply: SMTPReply, _ code: Int) throws {
                guard reply.code == code else { throw HarnessError("expected \(code):\n\(session.transcriptText)") }
            }
            try expect(session.send("EHLO client.test"), 250)
            try expect(session.send("XCLIENT ADDR=203.0.113.9"), 220)
            try expect(session.send("EHLO client.test"), 250)
            try expect(session.send("MAIL FROM:<hostile\(start)@outside.example> SMTPUTF8"), 250)
            for sample in batch {
                replies.append(try session.send("RCPT TO:" + sample.argument))
            }
            try expect(session.send("RCPT TO:<\(delivered)>"), 250)
            try expect(session.send("DATA"), 354)
            try expect(session.send("Subject: hostile recipients \(start)\r\n\r\nbody\r\n."), 250)
            try session.send("QUIT")
        }
        return replies
    }

    /// `<a@b>`, ` <a@b>` and `a@b` alike, to match a sample with the argument Postfix passed to the milter.
    static func core(_ argument: String) -> String {
        var text = Substring(argument.trimmingCharacters(in: .whitespaces))
        if let space = text.firstIndex(of: " "), text.hasPrefix("<"), let close = text.lastIndex(of: ">"), close < space {
            text = text[...close]  // drop ESMTP parameters
        }
        if text.hasPrefix("<") { text = text.dropFirst() }
        if text.hasSuffix(">") { text = text.dropLast() }
        return String(text)
    }

    @Test("the must-deny sample gets 5xx at RCPT and nothing of it reaches the sink")
    func mustDenySample() async throws {
        try await withRelayGuard { milter in
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: Self.postfixParameters)
            try await withPostfix(options) { postfix in
                #expect(Set(Self.samples.map { Self.core($0.argument) }).count == Self.samples.count, "samples are distinct")
                let replies = try Self.send(Self.samples, to: postfix)
                try await postfix.waitForQueueToDrain()
                let decisions = milter.log().split(separator: "\n").compactMap(MilterDecisionLine.init)
                let milterRejected = Set(decisions.filter { $0["verdict"] == "reject" }.compactMap(\.recipient).map(Self.core))
                var table: [String] = []
                for (sample, reply) in zip(Self.samples, replies) {
                    let by: RefusedBy = milterRejected.contains(Self.core(sample.argument)) ? .relayGuard : .postfix
                    table.append("\(reply.code) \(by.rawValue) \(sample.family): \(reply.text.prefix(60))")
                    #expect(reply.isPermanentFailure, "\(sample.family): \(reply)")
                    #expect(by == sample.refusedBy, "\(sample.family): \(reply)")
                }
                // The milter passed nothing but the ordinary recipient of each transaction.
                let milterPasses = decisions.filter { $0["verdict"] == "continue" }.compactMap(\.recipient)
                #expect(Set(milterPasses) == ["<\(Self.delivered)>"], "\(milterPasses)")
                let transactions = (Self.samples.count + 11) / 12
                let arrived = try postfix.sink.recipients()
                #expect(arrived == Array(repeating: Self.delivered, count: transactions), "\(arrived)\n\(postfix.maillog())")
                print("hostile recipients through Postfix + RelayGuard (\(Self.samples.count)):\n" + table.joined(separator: "\n"))
            }
        }
    }

    /// Issue 10 section 2: only a payload that names another hop is a reroute attempt; a legacyExchangeDN (real mail
    /// after migrations) and connector addresses without `@`, `%` or `!` are delivered.
    @Test("IMCEA payloads that name no other hop are delivered (a legacyExchangeDN, a fax number, a Notes name)")
    func encapsulatedWithoutRoutingIsDelivered() async throws {
        let kept = ["IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=alice@corp.example",
                    "IMCEAFAX-+2B1+20555+201234@corp.example", "IMCEANOTES-Bob+20Smith_Contoso@corp.example"]
        let samples = kept.map { Hostile(family: "kept", argument: "<\($0)>", refusedBy: .postfix) }
        try await withRelayGuard { milter in
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: Self.postfixParameters)
            try await withPostfix(options) { postfix in
                let replies = try Self.send(samples, to: postfix)
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
        let samples = Self.parserMismatch.map { Hostile(family: "F3", argument: $0, refusedBy: .relayGuard) }
        try await withRelayGuard { milter in
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: Self.postfixParameters)
            try await withPostfix(options) { postfix in
                let replies = try Self.send(samples, to: postfix)
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
