/// The reply class a verdict allows: libmilter sends a custom reply only when its first digit
/// matches the verdict (4 with TEMPFAIL, 5 with REJECT) and silently drops it otherwise.
enum ReplyClass: UInt8 {
    case transient = 0x34  // "4"
    case permanent = 0x35  // "5"
}

/// The three strings handed to `smfi_setreply`, already validated and escaped.
struct EncodedReply: Equatable {
    var code: String
    var xcode: String?
    /// `nil` when the text is empty: libmilter then sends just the codes.
    var text: String?
}

/// libmilter's MAXREPLYLEN (smfi.c): a longer text makes `smfi_setreply` fail.
private let maximumTextBytes = 980

extension MilterReply {
    /// Validates the reply for `replyClass` and escapes it for the MTA, or returns `nil` if it cannot be
    /// sent as is. The caller then answers with a plain REJECT/TEMPFAIL, never with a malformed reply.
    func encoded(for replyClass: ReplyClass) -> EncodedReply? {
        let codeBytes = Array(code.utf8)
        guard codeBytes.count == 3, codeBytes[0] == replyClass.rawValue,
              isDigit(codeBytes[1]), isDigit(codeBytes[2])
        else { return nil }

        if let xcode, !isEnhancedStatusCode(Array(xcode.utf8), replyClass: replyClass) { return nil }

        // CR/LF would end the SMTP line early (libmilter refuses them); a space keeps words apart.
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case 0x0D, 0x0A:
                escaped.append(0x20)
            case 0x25:
                // Postfix and sendmail treat "%" as an escape in milter replies: "%%" yields one "%".
                escaped.append(0x25)
                escaped.append(0x25)
            case 0x09, 0x20...0x7E, 0x80...:
                escaped.append(byte)
            default:
                // NUL would truncate the C string; other controls have no place in an SMTP reply.
                return nil
            }
        }
        guard escaped.count <= maximumTextBytes else { return nil }
        // Without an xcode the MTA parses a leading "d.d.d" of the text as one (and Postfix refuses
        // a leading digit of another class), so a text starting with a digit is ambiguous.
        if xcode == nil, let first = escaped.first, isDigit(first) { return nil }

        return EncodedReply(
            code: code,
            xcode: xcode,
            text: escaped.isEmpty ? nil : String(decoding: escaped, as: UTF8.self)
        )
    }
}

/// RFC 3463 `class.subject.detail` with 1-3 digits each, as libmilter's `myisenhsc` checks it,
/// plus the class matching the reply code, as Postfix checks it.
private func isEnhancedStatusCode(_ bytes: [UInt8], replyClass: ReplyClass) -> Bool {
    let parts = bytes.split(separator: 0x2E, omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].elementsEqual([replyClass.rawValue]) else { return false }
    return parts.dropFirst().allSatisfy { (1...3).contains($0.count) && $0.allSatisfy(isDigit) }
}

private func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
