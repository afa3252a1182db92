/// The recipients and clients the generator sends, with the answer a policy server running the benchmark policy must
/// give: the mix of `Benchmarks/MilterLoad/RecipientMix.swift` (keep the two alike), in the policy protocol's form.
///
/// The benchmark policy (also what `Baselines/same-logic-decide.h` hard-codes) is `reroute = yes`,
/// `relay_clients = 192.0.2.0/24, 2001:db8::/32`, `local_domains = corp.example .corp.example`: an encapsulated SMTP
/// address, a routed address or a remote domain is refused unless the client is a relay client.
enum PolicyMix {
    struct Recipient {
        /// The `recipient` attribute: Postfix's parsed address, without angle brackets.
        let address: String
        /// Whether an outside client is refused (a 5xx answer).
        let deniedOutside: Bool
    }

    static let recipients: [Recipient] = [
        Recipient(address: "alice@corp.example", deniedOutside: false),
        Recipient(address: "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example", deniedOutside: true),
        Recipient(address: "bob@corp.example", deniedOutside: false),
        Recipient(address: "victim%elsewhere.com@corp.example", deniedOutside: true),
        Recipient(address: "carol@eu.corp.example", deniedOutside: false),
        Recipient(address: "elsewhere.com!victim@corp.example", deniedOutside: true),
        Recipient(address: "frank@elsewhere.example", deniedOutside: true),
        Recipient(address: "IMCEAEX-_O=CONTOSO_OU=FIRST+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=erin@corp.example", deniedOutside: false),
    ]

    struct ClientAddress {
        let text: String
        let isRelayClient: Bool
    }

    /// Two of four streams come from outside the relay restrictions.
    static let clients: [ClientAddress] = [
        ClientAddress(text: "203.0.113.9", isRelayClient: false),
        ClientAddress(text: "192.0.2.10", isRelayClient: true),
        ClientAddress(text: "2001:db8:ffff::5", isRelayClient: true),
        ClientAddress(text: "198.51.100.77", isRelayClient: false),
    ]

    /// Stream `n`'s client and its `count` recipients (a sliding window over the list, so every stream mixes kinds).
    static func stream(_ n: Int, recipients count: Int) -> (ClientAddress, [Recipient]) {
        let client = clients[n % clients.count]
        let first = (n * 3) % recipients.count
        return (client, (0..<count).map { recipients[(first + $0) % recipients.count] })
    }

    /// How many of the first `streams` streams' requests must be refused (the smoke test's expectation).
    static func expectedRefusals(streams: Int, recipients count: Int) -> Int {
        (0..<streams).reduce(0) { total, n in
            let (client, recipients) = stream(n, recipients: count)
            return client.isRelayClient ? total : total + recipients.filter(\.deniedOutside).count
        }
    }

    /// One RCPT request as Postfix 3.7's smtpd writes it (every attribute, in its order), ended by the empty line.
    static func request(client: ClientAddress, recipient: Recipient, stream n: Int, index: Int) -> [UInt8] {
        let queueID = String(0x4A0000 + n % 0xFFFF, radix: 16, uppercase: true)
        let lines = [
            "request=smtpd_access_policy", "protocol_state=RCPT", "protocol_name=ESMTP", "helo_name=client.example",
            "queue_id=\(queueID)", "sender=sender@client.example", "recipient=\(recipient.address)",
            "recipient_count=\(index)", "client_address=\(client.text)", "client_name=unknown",
            "reverse_client_name=unknown", "instance=\(String(n, radix: 16)).656d5a0.\(index)", "sasl_method=", "sasl_username=",
            "sasl_sender=", "size=0", "ccert_subject=", "ccert_issuer=", "ccert_fingerprint=", "ccert_pubkey_fingerprint=",
            "encryption_protocol=", "encryption_cipher=", "encryption_keysize=0", "etrn_domain=", "stress=",
            "server_address=127.0.0.1", "server_port=25", "compatibility_level=3.6", "mail_version=3.7.11",
            "client_port=\(40000 + n % 20000)", "policy_context=",
        ]
        return Array((lines.joined(separator: "\n") + "\n\n").utf8)
    }
}
