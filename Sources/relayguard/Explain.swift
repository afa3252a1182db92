import ArgumentParser
import Glibc
import RelayGuardCore
import RelayPolicy

struct Explain: BulkOperandCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what the milter would answer for each recipient from a given client.",
        discussion: """
            One line a recipient: the verdict (continue, reject, tempfail), the reply, the rule and the decoded \
            address. Each recipient is decided as the milter decides it: with the address Postfix would parse from it \
            ({rcpt_addr}, from a model of Postfix's parser, or --rcpt-addr), printed as rcpt_addr= when it differs. \
            A recipient Postfix itself refuses as a syntax error gets postfix_reply="...". "-" reads recipients from \
            standard input, one a line.
            """
    )

    static let valueOptions: Set<String> = ["--config", "--client-ip", "--auth-user", "--daemon-addr", "--rcpt-addr", "--myhostname"]

    @OptionGroup var options: ConfigOption

    @Option(name: .customLong("client-ip"), help: ArgumentHelp("The SMTP client's address, or \"unknown\".", valueName: "ip"))
    var clientIP: String

    @Option(name: .customLong("auth-user"), help: ArgumentHelp("The SASL login name, if the client authenticated.", valueName: "name"))
    var authUser: String?

    @Option(name: .customLong("daemon-addr"), help: ArgumentHelp("The local address the client connected to.", valueName: "ip"))
    var daemonAddr: String?

    @Option(name: .customLong("rcpt-addr"), help: ArgumentHelp(
        "Postfix's parsed address ({rcpt_addr}) for the one recipient given, instead of the model's.", valueName: "address"))
    var rcptAddr: String?

    @Option(name: .customLong("myhostname"), help: ArgumentHelp(
        "Postfix's myhostname, which it appends to a recipient without a domain (default: this host's name).", valueName: "name"))
    var myhostname: String?

    @Flag(help: "Print one JSON object a line.")
    var json = false

    @Argument(help: ArgumentHelp("Recipients, as in RCPT TO (angle brackets optional); - reads them from standard input.", valueName: "rcpt"))
    var operands: [String] = []

    func validate() throws {
        if clientIP != "unknown", IPAddress(clientIP) == nil {
            throw ValidationError("--client-ip: \"\(clientIP)\" is not an IPv4 or IPv6 address (or \"unknown\")")
        }
        if let daemonAddr, IPAddress(daemonAddr) == nil {
            throw ValidationError("--daemon-addr: \"\(daemonAddr)\" is not an IPv4 or IPv6 address")
        }
    }

    func validateOperands() throws {
        if operands.isEmpty { throw ValidationError("give at least one recipient (or - to read them from standard input)") }
        if rcptAddr != nil, operands.count != 1 || operands == ["-"] {
            throw ValidationError("--rcpt-addr: give exactly one recipient")
        }
    }

    func run() throws {
        let policy = try options.load().policy
        let client = Client(address: IPAddress(clientIP).map { .known($0) } ?? .unknown,
                            authenticatedUser: authUser, localAddress: daemonAddr.flatMap { IPAddress($0) })
        let settings = PostfixAddressParser.Settings(myhostname: myhostname ?? Self.hostName())
        BulkOperands.expand(operands) { recipient in
            var parsed = rcptAddr
            var postfixReply: String?
            if parsed == nil {
                switch PostfixAddressParser.parse(rcptArgument: recipient, settings: settings) {
                case .parsed(_, let address): parsed = address
                case .refused(let reply): postfixReply = reply
                }
            }
            let decision = policy.decide(recipient, parsed: parsed, client: client)
            if json {
                print(DecisionFormat.json(decision, rcptAddr: parsed, postfixReply: postfixReply))
            } else {
                let line = DecisionFormat.line(decision, rcptAddr: parsed)
                print(postfixReply.map { line + " postfix_reply=" + DecisionFormat.quotedIfNeeded($0) } ?? line)
            }
        }
    }

    /// Postfix's default myhostname: the host's name.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

struct Decode: BulkOperandCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode recipient addresses: the form found, the IMCEA type and the inner address.",
        discussion: "\"-\" reads addresses from standard input, one a line."
    )

    static let valueOptions: Set<String> = []

    @Argument(help: ArgumentHelp("Addresses, as in RCPT TO; - reads them from standard input.", valueName: "address"))
    var operands: [String] = []

    func validateOperands() throws {
        if operands.isEmpty { throw ValidationError("give at least one address (or - to read them from standard input)") }
    }

    func run() {
        BulkOperands.expand(operands) { address in
            print(DecisionFormat.address(AddressDecoder.decode(address)))
        }
    }
}
