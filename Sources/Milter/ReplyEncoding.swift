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
    ///
    /// Runs for every rejected recipient: the text is scanned once over its contiguous UTF-8 and reused as is
    /// when nothing needs escaping, so the common reply is never copied byte by byte.
    func encoded(for replyClass: ReplyClass) -> EncodedReply? {
        guard isReplyCode(code, replyClass: replyClass) else { return nil }
        if let xcode, !isEnhancedStatusCode(xcode, replyClass: replyClass) { return nil }

        var text = self.text
        let scan = text.withUTF8 { bytes -> (valid: Bool, lineBreaks: Int, percents: Int) in
            var lineBreaks = 0
            var percents = 0
            for byte in bytes {
                switch byte {
                case 0x0D, 0x0A: lineBreaks += 1
                case 0x25: percents += 1
                case 0x09, 0x20...0x7E, 0x80...: continue
                // NUL would truncate the C string; other controls have no place in an SMTP reply.
                default: return (false, 0, 0)
                }
            }
            return (true, lineBreaks, percents)
        }
        guard scan.valid, text.utf8.count + scan.percents <= maximumTextBytes else { return nil }
        // Without an xcode the MTA parses a leading "d.d.d" of the text as one (and Postfix refuses
        // a leading digit of another class), so a text starting with a digit is ambiguous.
        if xcode == nil, let first = text.utf8.first, isDigit(first) { return nil }
        guard !text.isEmpty else { return EncodedReply(code: code, xcode: xcode, text: nil) }
        guard scan.lineBreaks + scan.percents > 0 else { return EncodedReply(code: code, xcode: xcode, text: text) }

        // CR/LF would end the SMTP line early (libmilter refuses them); a space keeps words apart.
        // Postfix and sendmail treat "%" as an escape in milter replies: "%%" yields one "%".
        var escaped: [UInt8] = []
        escaped.reserveCapacity(text.utf8.count + scan.percents)
        for byte in text.utf8 {
            switch byte {
            case 0x0D, 0x0A: escaped.append(0x20)
            case 0x25: escaped.append(contentsOf: [0x25, 0x25])
            default: escaped.append(byte)
            }
        }
        return EncodedReply(code: code, xcode: xcode, text: String(decoding: escaped, as: UTF8.self))
    }
}

/// Three digits, the first one the reply class's.
private func isReplyCode(_ code: String, replyClass: ReplyClass) -> Bool {
    var code = code
    return code.withUTF8 { bytes in
        bytes.count == 3 && bytes[0] == replyClass.rawValue && isDigit(bytes[1]) && isDigit(bytes[2])
    }
}

/// RFC 3463 `class.subject.detail` with 1-3 digits each, as libmilter's `myisenhsc` checks it,
/// plus the class matching the reply code, as Postfix checks it.
private func isEnhancedStatusCode(_ xcode: String, replyClass: ReplyClass) -> Bool {
    var xcode = xcode
    return xcode.withUTF8 { bytes in
        // The class is exactly the one digit; then two runs of 1-3 digits, each after a dot.
        guard bytes.count >= 5, bytes[0] == replyClass.rawValue, bytes[1] == 0x2E else { return false }
        var parts = 1
        var digits = 0
        for byte in bytes[2...] {
            if isDigit(byte) {
                digits += 1
                guard digits <= 3 else { return false }
            } else if byte == 0x2E, digits > 0, parts == 1 {
                parts = 2
                digits = 0
            } else {
                return false
            }
        }
        return parts == 2 && digits > 0
    }
}

private func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
