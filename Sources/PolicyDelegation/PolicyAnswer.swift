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
        guard var reply = decision.reply else { return decision.verdict == .reject ? "REJECT" : "DEFER" }
        // The recipient as ReplyTemplate writes it for %r: control bytes removed.
        let prefix = "<" + String(decoding: decision.address.recipient.utf8.filter { $0 >= 0x20 && $0 != 0x7F }, as: UTF8.self) + ">: "
        if reply.text.utf8.starts(with: prefix.utf8), reply.text.utf8.count > prefix.utf8.count {
            reply.text = String(decoding: reply.text.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
        }
        return replyAction(reply)
    }

    /// `action=VALUE`, the newline and the empty line that ends the answer.
    public static func response(_ action: String) -> String {
        "action=" + action + "\n\n"
    }

    /// `NNN X.Y.Z text` on one line: a control byte would end the answer early or split it, so each becomes a space
    /// (the reply templates never produce one; a recipient carries what the client sent).
    static func replyAction(_ reply: Reply) -> String {
        let text = reply.description
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        return String(decoding: text.utf8.map { $0 < 0x20 || $0 == 0x7F ? 0x20 : $0 }, as: UTF8.self)
    }
}
