import ArgumentParser
import RelayGuardDaemon
import RelayPolicy

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the milter would answer for each recipient from a given client.",
        discussion: "One line a recipient: the verdict (continue, reject, tempfail), the reply, the rule and the decoded address."
    )

    @OptionGroup var options: ConfigOption

    @Option(name: .customLong("client-ip"), help: ArgumentHelp("The SMTP client's address, or \"unknown\".", valueName: "ip"))
    var clientIP: String

    @Option(name: .customLong("auth-user"), help: ArgumentHelp("The SASL login name, if the client authenticated.", valueName: "name"))
    var authUser: String?

    @Option(name: .customLong("daemon-addr"), help: ArgumentHelp("The local address the client connected to.", valueName: "ip"))
    var daemonAddr: String?

    @Flag(help: "Print one JSON object a line.")
    var json = false

    @Argument(help: ArgumentHelp("Recipients, as in RCPT TO (angle brackets optional).", valueName: "rcpt"))
    var recipients: [String]

    func validate() throws {
        if clientIP != "unknown", IPAddress(clientIP) == nil {
            throw ValidationError("--client-ip: \"\(clientIP)\" is not an IPv4 or IPv6 address (or \"unknown\")")
        }
        if let daemonAddr, IPAddress(daemonAddr) == nil {
            throw ValidationError("--daemon-addr: \"\(daemonAddr)\" is not an IPv4 or IPv6 address")
        }
        if recipients.isEmpty { throw ValidationError("give at least one recipient") }
    }

    func run() throws {
        let policy = try options.load().policy
        let client = Client(address: IPAddress(clientIP).map { .known($0) } ?? .unknown,
                            authenticatedUser: authUser, localAddress: daemonAddr.flatMap { IPAddress($0) })
        for recipient in recipients {
            let decision = policy.decide(recipient, client: client)
            print(json ? DecisionFormat.json(decision) : DecisionFormat.line(decision))
        }
    }
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode recipient addresses: the form found, the IMCEA type and the inner address."
    )

    @Argument(help: ArgumentHelp("Addresses, as in RCPT TO.", valueName: "address"))
    var addresses: [String]

    func run() {
        for address in addresses {
            print(DecisionFormat.address(AddressDecoder.decode(address)))
        }
    }
}
