import Testing

/// What Postfix answers while RelayGuard is not there, per front end: nothing is accepted either way, but the milter's
/// `milter_default_action = tempfail` refuses the whole session at MAIL FROM, while `check_policy_service` answers
/// each recipient with `smtpd_policy_service_default_action` (451 4.3.5 since Postfix 3.0, left at its default).
@Suite("Postfix with RelayGuard down, per front end")
struct FrontEndDownTests {
    /// A gateway whose front end leads nowhere, and the server name Postfix's warnings give it.
    static func options(_ frontEnd: FrontEnd) throws -> (PostfixOptions, server: String) {
        func policy(_ service: String) -> PostfixOptions {
            PostfixOptions(parameters: ["smtpd_relay_restrictions":
                "check_policy_service \(service), permit_mynetworks, reject_unauth_destination"])
        }
        switch frontEnd {
        case .milter:
            // A port nobody listens on stands in for a stopped RelayGuard.
            let port = try FreePort.allocate()
            return (PostfixOptions(milter: PostfixOptions.Milter(port: port, defaultAction: "tempfail")), "inet:127.0.0.1:\(port)")
        case .policyUnix:
            // A path where no socket is: what smtpd finds when `relayguard run` never started.
            return (policy("unix:/nonexistent/relayguard/policy.sock"), "/nonexistent/relayguard/policy.sock")
        case .policyInet:
            let port = try FreePort.allocate()
            return (policy("inet:127.0.0.1:\(port)"), "127.0.0.1:\(port)")
        case .spawn:
            // A command that exits at once: smtpd reads end of file where the answer should be.
            var options = policy("unix:private/relayguard")
            options.extraMasterCF = ["relayguard unix - n n - 0 spawn user=nobody argv=/bin/false"]
            return (options, "private/relayguard")
        }
    }

    @Test(arguments: FrontEnd.allCases)
    func nothingAccepted(_ frontEnd: FrontEnd) async throws {
        let (options, server) = try Self.options(frontEnd)
        try await withPostfix(options) { postfix in
            let result = try await Swaks.send(
                to: postfix, recipients: [Recipients.imcea, Recipients.alice], client: Clients.outside)
            if frontEnd.isPolicy {
                #expect(result.mailReply?.code == 250, "\(result.output.stdout)")
                for recipient in [Recipients.imcea, Recipients.alice] {
                    let reply = try #require(result.reply(for: recipient), "\(result.output.stdout)")
                    #expect(reply.code == 451 && reply.enhancedCode == "4.3.5", "\(reply)")
                    #expect(reply.text.contains("Server configuration problem"), "\(reply)")
                }
                #expect(postfix.maillog().contains("warning: problem talking to server \(server):"),
                        "\(postfix.maillog())")
            } else {
                // The first command Postfix can refuse (MAIL FROM) gets 451 4.7.1; RCPT is never sent.
                let mail = try #require(result.mailReply, "\(result.output.stdout)")
                #expect(mail.code == 451 && mail.enhancedCode == "4.7.1", "\(mail)")
                #expect(result.transcript.recipientReplies.isEmpty, "\(result.output.stdout)")
            }
            #expect(result.endOfDataReply == nil)
            try await postfix.waitForQueueToDrain()
            #expect(try postfix.sink.messages().isEmpty, "\(postfix.maillog())")
        }
    }
}
