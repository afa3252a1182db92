import Foundation
import RelayPolicy

/// The one-line text forms of decisions and decoded addresses, shared by `explain`, `decode` and the decision log so
/// an admin greps the same `key=value` fields everywhere.
///
/// Lines are assembled as UTF-8 bytes in a `LineBuffer` and made a `String` once: the decision log runs this once per
/// recipient on the RCPT path, about 20 pieces a line, and each `String.append` re-checks and may re-grow the string
/// where a byte copy into one buffer does not.
public enum DecisionFormat {
    /// `reject reply="550 5.7.1 <r>: text" rule=reroute-disabled form=imcea imcea_type=SMTP inner=v@e.com recipient=<r>`:
    /// the verdict first, as `explain` prints it.
    /// `rcptAddr`: the MTA's parsed address, printed as `rcpt_addr=<...>` when it is not the decided recipient.
    public static func line(_ decision: Decision, rcptAddr: String? = nil) -> String {
        var line = LineBuffer()
        line.append(decision.verdict.rawValue)
        line.append(literal: " ")
        appendFields(decision, to: &line)
        appendRcptAddr(rcptAddr, of: decision, to: &line)
        return line.string
    }

    /// ` rcpt_addr=<a@b>` when `rcptAddr` (Postfix's `{rcpt_addr}`) is given and is not the recipient the line
    /// names already; nothing otherwise, so the common line costs one comparison.
    static func appendRcptAddr(_ rcptAddr: String?, of decision: Decision, to line: inout LineBuffer) {
        guard let rcptAddr, !rcptAddr.isEmpty, rcptAddr != decision.address.recipient else { return }
        line.append(literal: " rcpt_addr=")
        if hasSpecialBytes(rcptAddr) {
            appendQuoted("<" + rcptAddr + ">", to: &line)
        } else {
            line.appendByte(0x3C)
            line.append(rcptAddr)
            line.appendByte(0x3E)
        }
    }

    /// Everything but the verdict: `reply=... rule=... [would_deny=yes] form=... inner=... recipient=...`.
    public static func fields(_ decision: Decision) -> String {
        var line = LineBuffer()
        appendFields(decision, to: &line)
        return line.string
    }

    static func appendFields(_ decision: Decision, to line: inout LineBuffer) {
        line.append(literal: "reply=")
        if let reply = decision.reply { appendQuoted(reply.description, to: &line) } else { line.append(literal: "-") }
        line.append(literal: " rule=")
        line.append(decision.rule.rawValue)
        if decision.wouldDeny { line.append(literal: " would_deny=yes") }
        line.append(literal: " ")
        appendAddress(decision.address, to: &line)
    }

    /// `form=imcea imcea_type=SMTP inner=victim@elsewhere.com recipient=<...>`.
    public static func address(_ address: DecodedAddress) -> String {
        var line = LineBuffer()
        appendAddress(address, to: &line)
        return line.string
    }

    private static func appendAddress(_ address: DecodedAddress, to line: inout LineBuffer) {
        line.append(literal: "form=")
        line.append(address.form.rawValue)
        if let type = address.imceaType {
            line.append(literal: " imcea_type=")
            appendQuotedIfNeeded(type, to: &line)
        }
        if address.depthExceeded { line.append(literal: " depth_exceeded=yes") }
        line.append(literal: " inner=")
        if let inner = address.inner { appendQuotedIfNeeded(inner, to: &line) } else { line.append(literal: "-") }
        line.append(literal: " recipient=")
        // `<>` itself needs no quotes: only the recipient's bytes can call for them (hostile input, so rare).
        if hasSpecialBytes(address.recipient) {
            appendQuoted("<" + address.recipient + ">", to: &line)
        } else {
            line.appendByte(0x3C)
            line.append(address.recipient)
            line.appendByte(0x3E)
        }
    }

    /// One JSON object: recipient, verdict, code, xcode, text, rule, form, imcea_type, inner, would_deny, and
    /// rcpt_addr (the parsed address decided with the raw one, or null), postfix_reply (Postfix's own refusal of the
    /// syntax, or null).
    public static func json(_ decision: Decision, rcptAddr: String? = nil, postfixReply: String? = nil) -> String {
        let object: [String: Any] = [
            "rcpt_addr": rcptAddr ?? NSNull(),
            "postfix_reply": postfixReply ?? NSNull(),
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
        needsQuoting(value) ? quoted(value) : value
    }

    static func appendQuotedIfNeeded(_ value: String, to line: inout LineBuffer) {
        if needsQuoting(value) { appendQuoted(value, to: &line) } else { line.append(value) }
    }

    static func needsQuoting(_ value: String) -> Bool {
        value.isEmpty || hasSpecialBytes(value)
    }

    /// Blanks, controls, `"`, `\` or `=`. Byte-wise: every byte of a multi-byte UTF-8 sequence is >= 0x80, so only
    /// ASCII can need quoting.
    static func hasSpecialBytes(_ value: String) -> Bool {
        anyByte(of: value) { $0 <= 0x20 || $0 == 0x7F || $0 == 0x22 || $0 == 0x5C || $0 == 0x3D }
    }

    /// Whether a UTF-8 byte of `value` passes `test`, scanned over the string's contiguous storage when it has one (a
    /// byte loop through `String.UTF8View` pays an index step per byte).
    @inline(__always)
    static func anyByte(of value: String, _ test: (UInt8) -> Bool) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { $0.contains(where: test) } ?? value.utf8.contains(where: test)
    }

    static func quoted(_ value: String) -> String {
        var line = LineBuffer()
        appendQuoted(value, to: &line)
        return line.string
    }

    static func appendQuoted(_ value: String, to line: inout LineBuffer) {
        line.appendByte(0x22)
        appendEscaped(value, to: &line)
        line.appendByte(0x22)
    }

    /// `value` with `"` and `\` backslash-escaped and control bytes as `\xHH`; the rest as is.
    static func appendEscaped(_ value: String, to line: inout LineBuffer) {
        if !anyByte(of: value, { $0 < 0x20 || $0 == 0x7F || $0 == 0x22 || $0 == 0x5C }) {
            line.append(value)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case 0x22, 0x5C:
                line.appendByte(0x5C)
                line.appendByte(byte)
            case 0..<0x20, 0x7F:   // \xHH
                line.appendByte(0x5C)
                line.appendByte(0x78)
                line.appendByte(hexDigit(byte >> 4))
                line.appendByte(hexDigit(byte & 0xF))
            default: line.appendByte(byte)
            }
        }
    }
}
