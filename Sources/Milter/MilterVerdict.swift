/// What a session tells the MTA about the current SMTP command, at the stages the MTA waits for an answer
/// (RCPT and end of message; connect, HELO and MAIL are observe-only).
///
/// The verdict applies to the stage it is returned from: `.reject` from `recipient` refuses that one
/// recipient and the transaction goes on; `.reject` from `endOfMessage` refuses the message.
public enum MilterVerdict: Sendable, Equatable {
    /// Go on with the next stage.
    case `continue`
    /// Accept the message without calling this milter again for it.
    case accept
    /// Accept the message and silently drop it.
    case discard
    /// Refuse with a 5xx reply. A reply that is invalid or not 5xx is replaced by the MTA's default reply.
    case reject(MilterReply?)
    /// Refuse with a 4xx reply. A reply that is invalid or not 4xx is replaced by the MTA's default reply.
    case tempfail(MilterReply?)
}

/// A single-line SMTP reply, e.g. `MilterReply(code: "550", xcode: "5.7.1", text: "<x@y>: rejected")`.
///
/// The text is sent literally: `%` is escaped for the MTA and CR/LF become spaces. A reply that still
/// cannot be sent as given (see ``MilterVerdict``) is dropped in favour of the MTA's default reply,
/// because libmilter would otherwise drop it silently or the MTA would fail the milter.
public struct MilterReply: Sendable, Equatable {
    /// The three-digit SMTP code, `4xx` or `5xx`.
    public var code: String
    /// The RFC 3463 enhanced status code, e.g. `5.7.1`; its class must equal the code's first digit.
    public var xcode: String?
    /// Human-readable text. Without an `xcode` it must not start with a digit (the MTA would read it as one).
    public var text: String

    /// Creates a reply; validation happens when it is sent, against the verdict's class.
    public init(code: String, xcode: String? = nil, text: String) {
        self.code = code
        self.xcode = xcode
        self.text = text
    }
}
