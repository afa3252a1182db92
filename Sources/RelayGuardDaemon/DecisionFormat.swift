import Foundation
import RelayPolicy

/// The one-line text forms of decisions and decoded addresses, shared by `explain`, `decode` and the decision log so
/// an admin greps the same `key=value` fields everywhere.
public enum DecisionFormat {
    /// `reject reply="550 5.7.1 <r>: text" rule=reroute-disabled form=imcea imcea_type=SMTP inner=v@e.com recipient=<r>`:
    /// the verdict first, as `explain` prints it.
    public static func line(_ decision: Decision) -> String {
        decision.verdict.rawValue + " " + fields(decision)
    }

    /// Everything but the verdict: `reply=... rule=... [would_deny=yes] form=... inner=... recipient=...`.
    public static func fields(_ decision: Decision) -> String {
        // Built in one string: this runs once per recipient on the milter's RCPT path (the decision log line).
        var text = "reply="
        text.reserveCapacity(256)
        if let reply = decision.reply { text += quoted(reply.description) } else { text += "-" }
        text += " rule=" + decision.rule.rawValue
        if decision.wouldDeny { text += " would_deny=yes" }
        text += " "
        appendAddress(decision.address, to: &text)
        return text
    }

    /// `form=imcea imcea_type=SMTP inner=victim@elsewhere.com recipient=<...>`.
    public static func address(_ address: DecodedAddress) -> String {
        var text = ""
        appendAddress(address, to: &text)
        return text
    }

    private static func appendAddress(_ address: DecodedAddress, to text: inout String) {
        text += "form=" + address.form.rawValue
        if let type = address.imceaType { text += " imcea_type=" + quotedIfNeeded(type) }
        if address.depthExceeded { text += " depth_exceeded=yes" }
        text += " inner=" + (address.inner.map(quotedIfNeeded) ?? "-")
        text += " recipient=" + quotedIfNeeded("<\(address.recipient)>")
    }

    /// One JSON object: recipient, verdict, code, xcode, text, rule, form, imcea_type, inner, would_deny.
    public static func json(_ decision: Decision) -> String {
        let object: [String: Any] = [
            "recipient": decision.address.recipient,
            "verdict": decision.verdict.rawValue,
            "code": decision.reply?.code ?? NSNull(),
            "xcode": decision.reply?.xcode ?? NSNull(),
            "text": decision.reply?.text ?? NSNull(),
            "rule": decision.rule.rawValue,
            "form": decision.address.form.rawValue,
            "imcea_type": decision.address.imceaType ?? NSNull(),
            "inner": decision.address.inner ?? NSNull(),
            "would_deny": decision.wouldDeny,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x41 + nibble - 10
    }

    /// Quotes a value with `"` when it has blanks, quotes, `=` or control characters; escapes `"`, `\` and controls.
    public static func quotedIfNeeded(_ value: String) -> String {
        // Byte-wise: every byte of a multi-byte UTF-8 sequence is >= 0x80, so only ASCII can need quoting.
        let plain = !value.isEmpty && value.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x3D }
        return plain ? value : quoted(value)
    }

    static func quoted(_ value: String) -> String {
        var out: [UInt8] = [0x22]
        out.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            switch byte {
            case 0x22, 0x5C:
                out.append(0x5C)
                out.append(byte)
            case 0..<0x20, 0x7F:   // \xHH
                out.append(0x5C)
                out.append(0x78)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            default: out.append(byte)
            }
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}
