import Milter
import RelayGuardConfig
import RelayPolicy

/// Two policies that answer the IMCEA recipient differently for the same client, so every verdict says which one
/// decided it: A (the default, `reroute = no`) rejects it, B (`reroute = yes` for 192.0.2.0/24) lets it through.
enum TwoPolicies {
    static let imcea = "<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>"
    static let alice = "<alice@corp.example>"
    static let client = "192.0.2.10"

    static let a = policy("")
    static let b = policy("reroute = yes\nrelay_clients = 192.0.2.0/24\n")

    static func policy(_ text: String) -> Policy {
        do {
            return try Configuration.parse(text, file: "test.conf", baseDirectory: "/").policy
        } catch {
            fatalError("test policy does not parse: \(error)")
        }
    }

    /// Which policy a verdict for the IMCEA recipient came from.
    enum Answer: Equatable, CustomStringConvertible {
        case a, b, neither(MilterVerdict)
        init(_ verdict: MilterVerdict) {
            switch verdict {
            case .reject(let reply?) where reply.code == "550": self = .a
            case .continue: self = .b
            default: self = .neither(verdict)
            }
        }
        var description: String {
            switch self {
            case .a: "A"
            case .b: "B"
            case .neither(let verdict): "neither (\(verdict))"
            }
        }
    }

    /// Connect and MAIL as libmilter would call them, from `client` with queue id `queueID`.
    static func open(_ session: any MilterSession, queueID: String) {
        let connect = MilterMacros(["{client_addr}": client, "{daemon_addr}": "10.0.0.1"])
        session.connect(MilterConnectInfo(hostname: "client.example", address: .ipv4([192, 0, 2, 10]), port: 40000),
                            macros: connect)
        session.mail(["<sender@example.org>"], macros: MilterMacros(["i": queueID]))
    }

    static func recipient(_ session: any MilterSession, _ address: String, queueID: String) -> MilterVerdict {
        session.recipient([address], macros: MilterMacros(["i": queueID, "{rcpt_addr}": String(address.dropFirst().dropLast())]))
    }
}
