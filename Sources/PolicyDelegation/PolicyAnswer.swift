import RelayPolicy

/// The `action=` values RelayGuard answers (access(5) actions).
public enum PolicyAnswer {
    /// Continue with the next restriction. Never `OK`: that would skip the rest of the restriction list, Postfix's
    /// own `reject_unauth_destination` with it.
    public static let dunno = "DUNNO"

    /// The action for `decision`: `DUNNO` for continue (report mode included), the decision's reply (`550 5.7.1
    /// text`) for reject and tempfail.
    public static func action(for decision: Decision) -> String {
        switch decision.verdict {
        case .continue: return dunno
        case .reject: return decision.reply.map(replyAction) ?? "REJECT"
        case .tempfail: return decision.reply.map(replyAction) ?? "DEFER"
        }
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
