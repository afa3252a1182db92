import RelayPolicy

/// The `action=` values RelayGuard answers (access(5) actions).
public enum PolicyAnswer {
    /// Continue with the next restriction. Never `OK`: that would skip the rest of the restriction list, Postfix's
    /// own `reject_unauth_destination` with it.
    public static let dunno = "DUNNO"

    /// The action for `decision`: `DUNNO` for continue (report mode included), the decision's reply (`550 5.7.1
    /// text`) for reject and tempfail.
    ///
    /// smtpd writes `<recipient>: Recipient address rejected: ` before the text of a policy service's reply, so the
    /// reply's own leading `<recipient>: ` (the default templates' `<%r>: `) is left out rather than said twice.
    public static func action(for decision: Decision) -> String {
        guard decision.verdict != .continue else { return dunno }
        guard let reply = decision.reply else { return decision.verdict == .reject ? "REJECT" : "DEFER" }
        // In bytes, written once: one in four of smtpd's requests is refused in a busy gateway's mix, and String
        // slicing and filtering cost more here than the decision.
        var code = reply.code, xcode = reply.xcode ?? "", text = reply.text, recipient = decision.address.recipient
        return code.withUTF8 { code in xcode.withUTF8 { xcode in text.withUTF8 { text in recipient.withUTF8 { recipient in
            replyAction(code, xcode, UnsafeBufferPointer(rebasing: text[leadingRecipientCount(text, recipient)...]))
        } } } }
    }

    /// The length of the `<recipient>: ` that `text` starts with, 0 if it does not or if nothing follows it. The
    /// recipient as ReplyTemplate writes it for %r: control bytes removed.
    static func leadingRecipientCount(_ text: UnsafeBufferPointer<UInt8>, _ recipient: UnsafeBufferPointer<UInt8>) -> Int {
        guard text.first == UInt8(ascii: "<") else { return 0 }
        var index = 1
        for byte in recipient where !isControl(byte) {
            guard index < text.count, text[index] == byte else { return 0 }
            index += 1
        }
        for byte in ">: ".utf8 {
            guard index < text.count, text[index] == byte else { return 0 }
            index += 1
        }
        return index < text.count ? index : 0
    }

    /// `action=VALUE`, the newline and the empty line that ends the answer.
    public static func response(_ action: String) -> String {
        "action=" + action + "\n\n"
    }

    /// `NNN X.Y.Z text` on one line, the empty parts left out: a control byte would end the answer early or split
    /// it, so each becomes a space (the reply templates never produce one; a recipient carries what the client sent).
    static func replyAction(_ parts: UnsafeBufferPointer<UInt8>...) -> String {
        String(unsafeUninitializedCapacity: parts.reduce(parts.count) { $0 + $1.count }) { out in
            var count = 0
            for part in parts where !part.isEmpty {
                if count > 0 {
                    out[count] = UInt8(ascii: " ")
                    count += 1
                }
                for byte in part {
                    out[count] = isControl(byte) ? UInt8(ascii: " ") : byte
                    count += 1
                }
            }
            return count
        }
    }

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }
}
