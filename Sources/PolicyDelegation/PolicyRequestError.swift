/// Why a policy request cannot be read. The request is still answered (with `on_error`'s answer) once its empty line
/// arrives, so one bad request never desynchronizes the connection.
public enum PolicyRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An attribute line of more than `limit` bytes; the rest of it was discarded unread.
    case lineTooLong(line: Int, limit: Int)
    /// A line with no `=`.
    case missingEquals(line: Int)
    /// A line that starts with `=`.
    case emptyName(line: Int)
    /// A line that is not UTF-8.
    case notUTF8(line: Int)
    /// More than `limit` attributes in one request; the rest were discarded unread.
    case tooManyAttributes(limit: Int)
    /// An attribute RelayGuard reads (`PolicyRequest.Name`), twice: Postfix never sends one twice, and which copy
    /// counts would be a guess. Another attribute repeated is not looked at, as it is not read.
    case duplicateAttribute(name: String, line: Int)
    /// `request=` other than `smtpd_access_policy`, or none.
    case unsupportedRequest(String?)
    /// No `protocol_state`: every request smtpd sends has one.
    case missingProtocolState
    /// `protocol_state=RCPT` without a recipient.
    case missingRecipient

    public var description: String {
        switch self {
        case .lineTooLong(let line, let limit): "attribute line \(line) is longer than \(limit) bytes"
        case .missingEquals(let line): "attribute line \(line) has no \"=\""
        case .emptyName(let line): "attribute line \(line) has no name before \"=\""
        case .notUTF8(let line): "attribute line \(line) is not UTF-8"
        case .tooManyAttributes(let limit): "more than \(limit) attributes"
        case .duplicateAttribute(let name, let line): "attribute \"\(name)\" repeated on line \(line)"
        case .unsupportedRequest(let value?): "request=\(value) is not smtpd_access_policy"
        case .unsupportedRequest(nil): "no request=smtpd_access_policy attribute"
        case .missingProtocolState: "no protocol_state attribute"
        case .missingRecipient: "protocol_state=RCPT without a recipient attribute"
        }
    }
}
