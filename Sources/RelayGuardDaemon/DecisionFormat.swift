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
        var text = ""
        text.reserveCapacity(256)
        appendFields(decision, to: &text)
        return text
    }

    /// `fields(decision)` appended in place: the decision log builds its whole line in one string, once per recipient
    /// on the milter's RCPT path, so every piece is appended on its own (no temporary concatenations).
    static func appendFields(_ decision: Decision, to text: inout String) {
        text += "reply="
        if let reply = decision.reply { appendQuoted(reply.description, to: &text) } else { text += "-" }
        text += " rule="
        text += decision.rule.rawValue
        if decision.wouldDeny { text += " would_deny=yes" }
        text += " "
        appendAddress(decision.address, to: &text)
    }

    /// `form=imcea imcea_type=SMTP inner=victim@elsewhere.com recipient=<...>`.
    public static func address(_ address: DecodedAddress) -> String {
        var text = ""
        appendAddress(address, to: &text)
        return text
    }

    private static func appendAddress(_ address: DecodedAddress, to text: inout String) {
        text += "form="
        text += address.form.rawValue
        if let type = address.imceaType {
            text += " imcea_type="
            appendQuotedIfNeeded(type, to: &text)
        }
        if address.depthExceeded { text += " depth_exceeded=yes" }
        text += " inner="
        if let inner = address.inner { appendQuotedIfNeeded(inner, to: &text) } else { text += "-" }
        text += " recipient="
        // `<>` itself needs no quotes: only the recipient's bytes can call for them.
        if hasSpecialBytes(address.recipient) {
            appendQuoted("<" + address.recipient + ">", to: &text)
        } else {
            text += "<"
            text += address.recipient
            text += ">"
        }
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

    /// Quotes a value with `"` when it has blanks, quotes, `=` or control characters; escapes `"`, `\\` and controls.
    public static func quotedIfNeeded(_ value: String) -> String {
        needsQuoting(value) ? quoted(value) : value
    }

    static func appendQuotedIfNeeded(_ value: String, to text: inout String) {
        if needsQuoting(value) { appendQuoted(value, to: &text) } else { text += value }
    }

    static func needsQuoting(_ value: String) -> Bool {
        value.isEmpty || hasSpecialBytes(value)
    }

    /// Blanks, controls, `"`, `\\` or `=`. Byte-wise: every byte of a multi-byte UTF-8 sequence is >= 0x80, so only
    /// ASCII can need quoting.
    static func hasSpecialBytes(_ value: String) -> Bool {
        !value.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x3D }
    }

    static func quoted(_ value: String) -> String {
        var text = ""
        appendQuoted(value, to: &text)
        return text
    }

    static func appendQuoted(_ value: String, to text: inout String) {
        // The usual case (a reply text, a name with blanks): nothing to escape, so no byte buffer.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x22 || $0 == 0x5C }) {
            text += "\""
            text += value
            text += "\""
            return
        }
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
        text += String(decoding: out, as: UTF8.self)
    }
}
