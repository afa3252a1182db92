import RelayPolicy

/// The per-recipient decision line both front ends log:
/// `QID: session=N client=IP auth=NAME policy=N verdict=V reply=... rule=... form=... inner=... recipient=<...>`,
/// then `rcpt_addr=<...>` when the MTA's parsed address is not that recipient, then `frontend=NAME` for a front end
/// other than the milter (the milter's line stays as admins' filters already read it).
public enum DecisionLogLine {
    /// Assembled as bytes (see `LineBuffer`): this runs once per recipient.
    public static func make(
        queueID: String?, session: UInt64, clientText: String, authenticatedUser: String?, generation: Int,
        decision: Decision, rcptAddr: String?, frontend: String? = nil
    ) -> String {
        var line = LineBuffer(capacity: 320)
        line.append(queueID ?? "NOQUEUE")
        line.append(literal: ": session=")
        line.append(session)
        line.append(literal: " client=")
        DecisionFormat.appendQuotedIfNeeded(clientText, to: &line)
        line.append(literal: " auth=")
        if let auth = authenticatedUser, !auth.isEmpty {
            DecisionFormat.appendQuotedIfNeeded(auth, to: &line)
        } else {
            line.append(literal: "-")
        }
        line.append(literal: " policy=")
        line.append(UInt64(generation))
        line.append(literal: " verdict=")
        line.append(decision.verdict.rawValue)
        line.append(literal: " ")
        DecisionFormat.appendFields(decision, to: &line)
        DecisionFormat.appendRcptAddr(rcptAddr, of: decision, to: &line)
        if let frontend {
            line.append(literal: " frontend=")
            line.append(frontend)
        }
        return line.string
    }
}
