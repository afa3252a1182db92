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
        var fields = ["reply=" + (decision.reply.map { quoted($0.description) } ?? "-")]
        fields.append("rule=" + decision.rule.rawValue)
        if decision.wouldDeny { fields.append("would_deny=yes") }
        fields.append(address(decision.address))
        return fields.joined(separator: " ")
    }

    /// `form=imcea imcea_type=SMTP inner=victim@elsewhere.com recipient=<...>`.
    public static func address(_ address: DecodedAddress) -> String {
        var fields = ["form=" + address.form.rawValue]
        if let type = address.imceaType { fields.append("imcea_type=" + quotedIfNeeded(type)) }
        if address.depthExceeded { fields.append("depth_exceeded=yes") }
        fields.append("inner=" + (address.inner.map(quotedIfNeeded) ?? "-"))
        fields.append("recipient=" + quotedIfNeeded("<\(address.recipient)>"))
        return fields.joined(separator: " ")
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

    /// Quotes a value with `"` when it has blanks, quotes, `=` or control characters; escapes `"`, `\` and controls.
    public static func quotedIfNeeded(_ value: String) -> String {
        let plain = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && $0 != "\"" && $0 != "\\" && $0 != "=" }
        return plain ? value : quoted(value)
    }

    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += String(format: "\\x%02X", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
