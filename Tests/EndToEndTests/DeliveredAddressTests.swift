import Foundation
import Testing

/// Issue 10 §4 through a real Postfix: with `local_domains` and `local_recipients` set, RelayGuard judges relaying and
/// unknown recipients by the address Postfix delivers to (`{rcpt_addr}`), and passes postmaster as RFC 5321 4.5.1
/// requires, while syntax still hides no encapsulated address.
@Suite("Postfix with RelayGuard: the delivered address decides relaying")
struct DeliveredAddressTests {
    struct Sample: Sendable {
        /// What follows `RCPT TO:`, byte for byte.
        let argument: String
        let code: Int
        /// The rule of RelayGuard's decision; nil when Postfix refuses before the milter.
        let rule: String?
    }

    static let samples = [
        // RFC 5321 4.5.1: Postfix delivers <postmaster> locally as postmaster@$myhostname.
        Sample(argument: "<postmaster>", code: 250, rule: "pass"),
        Sample(argument: "<PostMaster>", code: 250, rule: "pass"),
        // At a local domain, though not in local_recipients.
        Sample(argument: "<postmaster@corp.example>", code: 250, rule: "pass"),
        Sample(argument: "<Joe <alice@corp.example>>", code: 250, rule: "pass"),
        Sample(argument: "<<alice@corp.example>>", code: 250, rule: "pass"),
        Sample(argument: "<(comment)alice@corp.example>", code: 250, rule: "pass"),
        Sample(argument: "<bob@corp.example>", code: 550, rule: "unknown-recipient"),
        Sample(argument: "<Joe <bob@corp.example>>", code: 550, rule: "unknown-recipient"),
        Sample(argument: "<Joe <IMCEASMTP-postmaster+40elsewhere+2Ecom@corp.example>>", code: 550, rule: "reroute-disabled"),
        Sample(argument: "<IMCEA\\SMTP-victim+40elsewhere+2Ecom@corp.example>", code: 550, rule: "reroute-disabled"),
    ]

    @Test("postmaster and RFC 822 spellings of a listed recipient pass; unknown and encapsulated ones do not")
    func deliveredAddressDecides() async throws {
        let settings = ["local_domains = corp.example", "local_recipients = alice@corp.example", "relay_clients = 192.0.2.0/24"]
        try await withRelayGuard(settings) { milter in
            // gateway.test local, so Postfix itself accepts <postmaster> (as postmaster@gateway.test).
            let options = PostfixOptions(milter: milter.postfixMilter(), parameters: [
                "mydestination": "gateway.test", "smtpd_error_sleep_time": "0",
            ])
            try await withPostfix(options) { postfix in
                // The session blocks on every reply: on a thread of its own, not one of the test runner's.
                let replies = try await BlockingWork.run {
                    let session = try RawSMTPSession(port: postfix.smtpPort)
                    guard try session.send("EHLO client.test").code == 250,
                          try session.send("XCLIENT ADDR=203.0.113.9").code == 220,
                          try session.send("EHLO client.test").code == 250,
                          try session.send("MAIL FROM:<sender@outside.example>").code == 250
                    else { throw HarnessError(session.transcriptText) }
                    var replies: [SMTPReply] = []
                    for sample in Self.samples { replies.append(try session.send("RCPT TO:" + sample.argument)) }
                    try session.send("QUIT")
                    return replies
                }
                let decided = Self.samples.filter { $0.rule != nil }
                let decisions = try await milter.waitForDecisions(decided.count)
                for (sample, reply) in zip(Self.samples, replies) {
                    #expect(reply.code == sample.code, "RCPT TO:\(sample.argument) -> \(reply)")
                }
                #expect(decisions.map { $0["rule"] } == decided.map(\.rule), "\(decisions.map(\.description))")
            }
        }
    }
}
