/// The recipients and clients the generator sends, with the verdict a milter running the benchmark policy must give.
///
/// The benchmark policy (also what `Baselines/same-logic.c` hard-codes) is
/// `reroute = yes`, `relay_clients = 192.0.2.0/24, 2001:db8::/32`, `local_domains = corp.example .corp.example`:
/// an encapsulated SMTP address, a routed address or a remote domain is rejected unless the client is a relay client.
enum RecipientMix {
    struct Recipient {
        /// RCPT argv[0] as Postfix sends it: raw, with angle brackets.
        let address: String
        /// Whether an outside client gets a 5xx for it.
        let deniedOutside: Bool
        var domain: Substring { address.dropLast().split(separator: "@").last ?? "" }
    }

    static let recipients: [Recipient] = [
        Recipient(address: "<alice@corp.example>", deniedOutside: false),
        Recipient(address: "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>", deniedOutside: true),
        Recipient(address: "<bob@corp.example>", deniedOutside: false),
        Recipient(address: "<victim%elsewhere.com@corp.example>", deniedOutside: true),
        Recipient(address: "<carol@eu.corp.example>", deniedOutside: false),
        Recipient(address: "<elsewhere.com!victim@corp.example>", deniedOutside: true),
        Recipient(address: "<frank@elsewhere.example>", deniedOutside: true),
        Recipient(address: "<IMCEAEX-_O=CONTOSO_OU=FIRST+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=erin@corp.example>", deniedOutside: false),
    ]

    struct ClientAddress {
        let text: String
        let isIPv6: Bool
        let isRelayClient: Bool
    }

    /// Three of four sessions come from outside the relay restrictions.
    static let clients: [ClientAddress] = [
        ClientAddress(text: "203.0.113.9", isIPv6: false, isRelayClient: false),
        ClientAddress(text: "192.0.2.10", isIPv6: false, isRelayClient: true),
        ClientAddress(text: "2001:db8:ffff::5", isIPv6: true, isRelayClient: true),
        ClientAddress(text: "198.51.100.77", isIPv6: false, isRelayClient: false),
    ]

    /// Session `n`'s client and its `count` recipients (a sliding window over the list, so every session mixes kinds).
    static func session(_ n: Int, recipients count: Int) -> (ClientAddress, [Recipient]) {
        let client = clients[n % clients.count]
        let first = (n * 3) % recipients.count
        return (client, (0..<count).map { recipients[(first + $0) % recipients.count] })
    }
}
