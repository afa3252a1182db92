import Foundation
import Testing

/// What the policy service cannot see: smtpd hands it only the address it parsed from `RCPT TO:` (the `recipient`
/// attribute), while the milter also gets the raw argument. The same RCPT commands, from the same outside client,
/// through a gateway with the milter and one with the spawned policy service; each row says what each answered.
///
/// Measured with Postfix 3.7: every encapsulated form reaches the policy service still encapsulated (comments, quotes,
/// source routes and extra brackets are stripped around it), and percent hacks and bang paths survive parsing. What
/// only the milter refuses is a source route in front of a local address: Postfix delivers to that address, so the
/// policy service's 250 reroutes nothing, but the probe goes unanswered by RelayGuard.
@Suite("Milter and policy service: what Postfix's parsing hides from the policy service")
struct PolicyServiceVisibilityTests {
    struct Form: Sendable, CustomStringConvertible {
        /// The `RCPT TO:` argument as sent.
        let argument: String
        let milterCode: Int
        let policyCode: Int
        let why: String
        var description: String { argument }
    }

    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"

    static let forms: [Form] = [
        Form(argument: "<\(imcea)>", milterCode: 550, policyCode: 550, why: "the plain encapsulated address"),
        Form(argument: "<(x)\(imcea)>", milterCode: 550, policyCode: 550,
             why: "Postfix drops the comment: the parsed address is still the IMCEA one"),
        Form(argument: "<\"IMCEASMTP-victim+40elsewhere+2Ecom\"@corp.example>", milterCode: 550, policyCode: 550,
             why: "Postfix unquotes a local part that needs no quotes"),
        Form(argument: "<@outside.example:\(imcea)>", milterCode: 550, policyCode: 550,
             why: "the source route is dropped, the IMCEA address behind it stays"),
        Form(argument: "<IMCEA(x)SMTP-victim+40elsewhere+2Ecom@corp.example>", milterCode: 501, policyCode: 501,
             why: "a comment splitting the local part: Postfix refuses the syntax (5.1.3) before either is asked"),
        Form(argument: "<<\(imcea)>>", milterCode: 550, policyCode: 550, why: "nested angle brackets"),
        // reject_unauth_destination refuses sender-specified routing in a relay domain before the milter is asked;
        // the policy service, first in the list, refuses it itself.
        Form(argument: "<victim%elsewhere.com@corp.example>", milterCode: 554, policyCode: 550,
             why: "a percent hack survives parsing (Postfix's own 554 before the milter)"),
        Form(argument: "<elsewhere.com!victim@corp.example>", milterCode: 554, policyCode: 550,
             why: "a bang path survives parsing (Postfix's own 554 before the milter)"),
        Form(argument: "<@outside.example:alice@corp.example>", milterCode: 550, policyCode: 250,
             why: "a source route: the milter refuses the route it sees in the raw argument; Postfix strips it and the "
                + "policy service sees alice@corp.example (where Postfix delivers, so nothing is rerouted)"),
        Form(argument: "<IMCEA\\SMTP-victim+40elsewhere+2Ecom@corp.example>", milterCode: 550, policyCode: 550,
             why: "a backslash in the type"),
        Form(argument: "<@outside.example,@other.example:alice@corp.example>", milterCode: 550, policyCode: 250,
             why: "a two-hop source route: the same"),
    ]

    /// The reply to each form, one transaction per form from 203.0.113.9 (outside `mynetworks`), never DATA. The
    /// session blocks on every reply, so it runs on a thread of its own.
    static func replies(_ postfix: PostfixInstance) async throws -> [SMTPReply] {
        try await BlockingWork.run {
            let session = try RawSMTPSession(port: postfix.smtpPort)
            _ = try session.send("EHLO client.test")
            let xclient = try session.send("XCLIENT ADDR=203.0.113.9")
            guard xclient.code == 220 else { throw HarnessError("XCLIENT: \(xclient)") }
            _ = try session.send("EHLO client.test")
            var replies: [SMTPReply] = []
            for form in forms {
                let mail = try session.send("MAIL FROM:<probe@outside.example>")
                guard mail.code == 250 else { throw HarnessError("MAIL: \(mail)") }
                replies.append(try session.send("RCPT TO:" + form.argument))
                _ = try session.send("RSET")
            }
            _ = try session.send("QUIT")
            return replies
        }
    }

    @Test("each form, milter and policy service")
    func compare() async throws {
        let milter = try await withRelayGuard { relayguard in
            try await withPostfix(PostfixOptions(milter: relayguard.postfixMilter())) { try await Self.replies($0) }
        }
        let (policy, policyLog) = try await withPolicyService { postfix, service in
            (try await Self.replies(postfix), service.log())
        }
        var table: [String] = []
        for (index, form) in Self.forms.enumerated() {
            table.append("\(form.argument)\tmilter \(milter[index].code)\tpolicy \(policy[index].code)\t\(form.why)")
            #expect(milter[index].code == form.milterCode, "\(form): milter \(milter[index])")
            #expect(policy[index].code == form.policyCode, "\(form): policy \(policy[index])\n\(policyLog)")
        }
        print(table.joined(separator: "\n"))
        // What the policy service decided: the parsed address, never the raw argument.
        #expect(policyLog.contains(" recipient=<alice@corp.example> frontend=policy"), "\(policyLog)")
        #expect(!policyLog.contains("@outside.example:"), "\(policyLog)")
    }
}
