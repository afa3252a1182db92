import Testing

/// What Postfix answers while RelayGuard is not there, per front end: nothing is accepted either way, but the milter's
/// `milter_default_action = tempfail` refuses the whole session at MAIL FROM, while `check_policy_service` answers
/// each recipient with `smtpd_policy_service_default_action` (451 4.3.5 since Postfix 3.0, left at its default).
@Suite("Postfix with RelayGuard down, per front end")
struct FrontEndDownTests {
    /// A gateway whose front end leads nowhere.
    static func options(_ frontEnd: FrontEnd) throws -> PostfixOptions {
        switch frontEnd {
        case .milter:
            // A port nobody listens on stands in for a stopped RelayGuard.
            return PostfixOptions(milter: PostfixOptions.Milter(port: try FreePort.allocate(), defaultAction: "tempfail"))
        case .spawn:
            // A command that exits at once: smtpd reads end of file where the answer should be.
            return PostfixOptions(parameters: ["smtpd_relay_restrictions": PolicySpawnService.relayRestrictions()],
                                  extraMasterCF: ["relayguard unix - n n - 0 spawn user=nobody argv=/bin/false"])
        }
    }

    @Test(arguments: FrontEnd.allCases)
    func nothingAccepted(_ frontEnd: FrontEnd) async throws {
        try await withPostfix(try Self.options(frontEnd)) { postfix in
            let result = try await Swaks.send(
                to: postfix, recipients: [Recipients.imcea, Recipients.alice], client: Clients.outside)
            if frontEnd.isPolicy {
                #expect(result.mailReply?.code == 250, "\(result.output.stdout)")
                for recipient in [Recipients.imcea, Recipients.alice] {
                    let reply = try #require(result.reply(for: recipient), "\(result.output.stdout)")
                    #expect(reply.code == 451 && reply.enhancedCode == "4.3.5", "\(reply)")
                    #expect(reply.text.contains("Server configuration problem"), "\(reply)")
                }
                #expect(postfix.maillog().contains("warning: problem talking to server private/relayguard"),
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
