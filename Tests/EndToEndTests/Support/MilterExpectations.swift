import Testing

/// A recipient, the reply miltertest must see, and the decision relayguard must log for it.
struct MilterCase: Sendable, CustomTestStringConvertible {
    var recipient: String
    var reply: MilterReplyCode
    var verdict: String
    var rule: String
    /// The `form=` field, when the case checks it.
    var form: String?
    /// The whole logged reply (`550 5.7.1 <…>: …`), when the case checks it; `-` for none.
    var replyText: String?

    var testDescription: String { "\(recipient) → \(verdict) \(rule)" }
}

/// Plays `transaction` against `milter`, expects miltertest to exit 0 with every `ok` line, and returns the
/// decisions this session logged, one per recipient in order.
func play(
    _ transaction: MilterTransaction,
    on milter: RelayGuardProcess,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> [MilterDecisionLine] {
    let before = milter.decisions().count
    let result = try await Miltertest.run(transaction, against: milter)
    #expect(result.exitCode == 0, "miltertest failed:\n\(result)\nlog:\n\(milter.log())", sourceLocation: sourceLocation)
    let missing = result.missingOKLines(of: transaction)
    #expect(missing.isEmpty, "missing: \(missing)\n\(result)", sourceLocation: sourceLocation)
    let decisions = try await milter.waitForDecisions(before + transaction.recipients.count)
    let mine = Array(decisions[before...])
    try #require(mine.count == transaction.recipients.count, "decisions: \(mine)", sourceLocation: sourceLocation)
    for (decision, recipient) in zip(mine, transaction.recipients) {
        #expect(decision.recipient == recipient.address, "\(decision)", sourceLocation: sourceLocation)
    }
    return mine
}

/// Checks one logged decision against its case.
func expectDecision(
    _ decision: MilterDecisionLine,
    matches expected: MilterCase,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(decision.recipient == expected.recipient, "\(decision)", sourceLocation: sourceLocation)
    #expect(decision["verdict"] == expected.verdict, "\(decision)", sourceLocation: sourceLocation)
    #expect(decision["rule"] == expected.rule, "\(decision)", sourceLocation: sourceLocation)
    if let form = expected.form {
        #expect(decision["form"] == form, "\(decision)", sourceLocation: sourceLocation)
    }
    if let replyText = expected.replyText {
        #expect(decision["reply"] == replyText, "\(decision)", sourceLocation: sourceLocation)
    }
}
