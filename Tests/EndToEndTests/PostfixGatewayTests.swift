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
