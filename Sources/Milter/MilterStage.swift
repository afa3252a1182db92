import CMilter

/// A stage of the SMTP dialogue for which the MTA sends macros.
public enum MilterStage: Sendable, Hashable, CaseIterable {
    /// Connection established.
    case connect
    /// HELO/EHLO.
    case helo
    /// MAIL FROM.
    case mail
    /// RCPT TO.
    case rcpt
    /// DATA.
    case data
    /// End of headers. This milter skips the header stage, so Postfix never sends these macros;
    /// the case exists so a configuration naming it can be carried through unchanged.
    case endOfHeaders
    /// End of message (after the final dot).
    case endOfMessage

    /// Position in the SMTP dialogue. libmilter's SMFIM_* numbering is not in this order
    /// (SMFIM_EOH comes after SMFIM_EOM), so macros visibility is computed from this instead.
    var dialogueOrder: Int {
        switch self {
        case .connect: 0
        case .helo: 1
        case .mail: 2
        case .rcpt: 3
        case .data: 4
        case .endOfHeaders: 5
        case .endOfMessage: 6
        }
    }
}
