import Testing

/// Addresses used throughout: the documentation ranges, none of them in the gateway's `mynetworks`.
enum Clients {
    static let outside = XClient("203.0.113.9")
    static let outsideIPv6 = XClient("2001:db8::5")
    static let relayClient = XClient("192.0.2.10")
}

enum Recipients {
    static let alice = "alice@corp.example"
    static let bob = "bob@elsewhere.example"
    /// Exchange's encapsulation of victim@elsewhere.com, at the relay domain.
    static let imcea = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"
}

/// One RCPT through the gateway and what must come of it.
struct RelayCase: Sendable, CustomTestStringConvertible {
    let name: String
    let client: XClient
    let recipient: String
    let code: Int
    let enhancedCode: String
    let delivered: Bool

    var testDescription: String { name }
    /// A sender per case, so parallel cases sharing one Postfix can tell their mail apart in the sink.
    var sender: String { name.filter { $0.isLetter || $0.isNumber } + "@outside.example" }
}

@Suite("Postfix alone, as a gateway for corp.example", .sharedPostfix())
struct PostfixAloneTests {
    static let cases: [RelayCase] = [
        RelayCase(name: "relay domain", client: Clients.outside, recipient: Recipients.alice,
                  code: 250, enhancedCode: "2.1.5", delivered: true),
        RelayCase(name: "outside domain", client: Clients.outside, recipient: Recipients.bob,
                  code: 554, enhancedCode: "5.7.1", delivered: false),
        RelayCase(name: "outside domain from IPv6", client: Clients.outsideIPv6, recipient: Recipients.bob,
                  code: 554, enhancedCode: "5.7.1", delivered: false),
        // The hole RelayGuard closes: the address is at the relay domain, so reject_unauth_destination lets it
        // through, and an Exchange server behind the gateway would decode it and relay to victim@elsewhere.com.
        RelayCase(name: "IMCEA at relay domain", client: Clients.outside, recipient: Recipients.imcea,
                  code: 250, enhancedCode: "2.1.5", delivered: true),
    ]

    @Test("the generated configuration passes postfix check without warnings")
    func postfixCheck() async throws {
        let check = try await SharedPostfix.current().check()
        #expect(check.exitCode == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.summary)")
    }

    @Test(arguments: cases)
    func recipient(_ relayCase: RelayCase) async throws {
        let postfix = try SharedPostfix.current()
        let result = try await Swaks.send(
            to: postfix, from: relayCase.sender, recipients: [relayCase.recipient], client: relayCase.client)

        let reply = try #require(result.reply(for: relayCase.recipient), "\(result.output.stdout)")
        #expect(reply.code == relayCase.code, "\(reply)")
        #expect(reply.enhancedCode == relayCase.enhancedCode, "\(reply)")
        if relayCase.code == 554 {
            #expect(reply.text.contains("Relay access denied"), "\(reply)")
        }

        try await postfix.waitForQueueToDrain()
        let arrived = try postfix.sink.messages(from: relayCase.sender).flatMap(\.recipients)
        #expect(arrived == (relayCase.delivered ? [relayCase.recipient] : []), "\(postfix.maillog())")
    }
}

@Suite("Postfix with RelayGuard")
struct RelayGuardGatewayTests {
    @Test("defaults: the IMCEA recipient is rejected, the plain one in the same transaction delivered")
    func defaultsRejectEncapsulatedRecipient() async throws {
        try await withRelayGuard { milter in
            try await withPostfix(PostfixOptions(milter: milter.postfixMilter())) { postfix in
                let result = try await Swaks.send(
                    to: postfix, recipients: [Recipients.imcea, Recipients.alice], client: Clients.outside)

                let refused = try #require(result.reply(for: Recipients.imcea), "\(result.output.stdout)")
                #expect(refused.code == 550, "\(refused)\n\(milter.log())")
                #expect(refused.enhancedCode == "5.7.1", "\(refused)")
                #expect(refused.text.contains("encapsulated or routed address rejected"), "\(refused)")
                #expect(result.reply(for: Recipients.alice)?.code == 250)

                try await postfix.waitForQueueToDrain()
                #expect(try postfix.sink.recipients() == [Recipients.alice], "\(postfix.maillog())")
            }
        }
    }

    @Test("reroute = yes: relay clients may use encapsulated addresses, others may not")
    func rerouteForRelayClients() async throws {
        try await withRelayGuard(["reroute = yes", "relay_clients = 192.0.2.0/24"]) { milter in
            try await withPostfix(PostfixOptions(milter: milter.postfixMilter())) { postfix in
                let fromRelayClient = try await Swaks.send(
                    to: postfix, from: "relay@outside.example", recipients: [Recipients.imcea],
                    client: Clients.relayClient)
                #expect(fromRelayClient.reply(for: Recipients.imcea)?.code == 250, "\(milter.log())")

                let fromOutside = try await Swaks.send(
                    to: postfix, from: "stranger@outside.example", recipients: [Recipients.imcea],
                    client: Clients.outside)
                let refused = try #require(fromOutside.reply(for: Recipients.imcea))
                #expect(refused.code == 550, "\(refused)\n\(milter.log())")
                #expect(refused.enhancedCode == "5.7.1", "\(refused)")

                try await postfix.waitForQueueToDrain()
                let arrived = try postfix.sink.messages().map { "\($0.sender) -> \($0.recipients)" }
                #expect(arrived == ["relay@outside.example -> [\"\(Recipients.imcea)\"]"], "\(postfix.maillog())")
            }
        }
    }

    @Test("milter_default_action = tempfail: with RelayGuard down nothing is accepted")
    func milterDownTempfails() async throws {
        // A port nobody listens on stands in for a stopped RelayGuard.
        let deadMilter = PostfixOptions.Milter(port: try FreePort.allocate(), defaultAction: "tempfail")
        try await withPostfix(PostfixOptions(milter: deadMilter)) { postfix in
            let result = try await Swaks.send(to: postfix, recipients: [Recipients.alice], client: Clients.outside)

            // Postfix answers the first command it can refuse (MAIL FROM) with 451 4.7.1; RCPT is never sent.
            let replies = [result.mailReply].compactMap { $0 } + result.transcript.recipientReplies.map(\.reply)
            let firstRefusal = try #require(replies.first { !$0.isPositive }, "\(result.output.stdout)")
            #expect(firstRefusal.isTemporaryFailure, "\(firstRefusal)")
            #expect(result.transcript.recipientReplies.allSatisfy { !$0.reply.isPositive })
            #expect(result.endOfDataReply == nil)

            try await postfix.waitForQueueToDrain()
            #expect(try postfix.sink.messages().isEmpty, "\(postfix.maillog())")
        }
    }
}
