/// The domain checks Postfix's resolver applies to a recipient (`valid_hostname`, `valid_mailhost_literal`,
/// `valid_utf8_hostname`); a recipient that fails them is a syntax error (501 5.1.3).
enum PostfixHostSyntax {
    /// An ASCII name per STD 3 as Postfix reads it (letters, digits, `_`, inner hyphens, labels up to 63, not all
    /// numeric, up to 255 bytes); a non-ASCII name when SMTPUTF8 is on and each label could be an IDNA U-label.
    static func isHostname(_ name: [UInt8], utf8: Bool) -> Bool {
        if utf8, name.contains(where: { $0 >= 0x80 }) {
            // Postfix asks ICU (UTS 46, hyphens checked, STD3 rules off) and then checks the A-label as an ASCII
            // hostname. This accepts what both steps pass: of ASCII, letters, digits, hyphens and `_`; any other
            // assigned code point but controls, format characters, private use and separators (symbols and
            // punctuation too: UTS 46 keeps them, and they leave only letters and digits in the A-label); no hyphen
            // first, last, or third and fourth. Not modelled: compatibility characters that map to ASCII.
            guard isValidUTF8(name) else { return false }
            let text = String(decoding: name, as: UTF8.self)
            let labels = text.split(separator: ".", omittingEmptySubsequences: false)
            return !labels.contains { label in
                var scalars = label.unicodeScalars.compactMap(mappedForHostnames)
                // An A-label: UTS 46 decodes it and checks what it spells, which must be a U-label that is not all
                // ASCII, in NFC, and not what mapping would change.
                if scalars.count >= 4, String(String.UnicodeScalarView(scalars[..<4])).lowercased() == "xn--" {
                    guard scalars.allSatisfy(\.isASCII),
                          let decoded = Punycode.decode(String(String.UnicodeScalarView(scalars[4...])).lowercased()),
                          !decoded.isEmpty, !decoded.allSatisfy(\.isASCII) else { return true }
                    let text = String(String.UnicodeScalarView(decoded))
                    guard Array(text.utf8) == text._nfcCodeUnits, text.lowercased() == text,
                          !decoded.contains(where: ignoredInHostnames.contains) else { return true }
                    scalars = decoded
                }
                return scalars.isEmpty || scalars.first == "-" || scalars.last == "-"
                    || (scalars.count >= 4 && scalars[2] == "-" && scalars[3] == "-")
                    || scalars.first.map(isMark) == true
                    || !scalars.allSatisfy(isUTS46HostnameScalar)
            }
        }
        guard !name.isEmpty, name.count <= 255 else { return false }
        var labelLength = 0
        var nonNumeric = false
        for (index, byte) in name.enumerated() {
            let isLast = index == name.count - 1
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
                nonNumeric = true
                labelLength += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                labelLength += 1
            case UInt8(ascii: "."):
                if labelLength == 0 || isLast { return false }
                labelLength = 0
                continue
            case UInt8(ascii: "-"):
                nonNumeric = true
                labelLength += 1
                if labelLength == 1 || isLast || name[index + 1] == UInt8(ascii: ".") { return false }
            default:
                return false
            }
            if labelLength > 63 { return false }
        }
        return nonNumeric
    }

    /// What UTS 46 maps to nothing in a name: soft hyphen, zero width space, word joiner, byte order mark.
    static let ignoredInHostnames: Set<Unicode.Scalar> = ["\u{00AD}", "\u{200B}", "\u{2060}", "\u{FEFF}"]

    /// What UTS 46's mapping makes of `scalar`, as far as modelled: nil for what it removes, fullwidth ASCII as
    /// ASCII (which the A-label check then reads).
    static func mappedForHostnames(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        if ignoredInHostnames.contains(scalar) { return nil }
        if (0xFF01...0xFF5E).contains(scalar.value), let ascii = Unicode.Scalar(scalar.value - 0xFEE0) { return ascii }
        return scalar
    }

    static func isUTS46HostnameScalar(_ scalar: Unicode.Scalar) -> Bool {
        // Zero width non-joiner and joiner are kept (deviations; Postfix asks ICU for no CONTEXTJ check).
        if scalar == "\u{200C}" || scalar == "\u{200D}" { return true }
        if scalar.isASCII {
            return scalar == "-" || scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || ("0"..."9").contains(scalar)
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate, .spaceSeparator, .lineSeparator,
             .paragraphSeparator:
            return false
        default:
            return true
        }
    }

    /// A label must not start with a combining mark (UTS 46's validity criteria).
    static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// `[a.b.c.d]` or `[IPv6:...]`, nothing after the `]`.
    static func isMailhostLiteral(_ literal: [UInt8]) -> Bool {
        guard literal.first == UInt8(ascii: "["), let close = literal.firstIndex(of: UInt8(ascii: "]")),
              close == literal.count - 1 else { return false }
        return mailhostAddress(String(decoding: literal[1..<close], as: UTF8.self)) != nil
    }

    /// `valid_mailhost_addr`: the address without its `IPv6:` prefix, nil when it is not a valid address.
    static func mailhostAddress(_ text: String) -> String? {
        if text.utf8.count >= 5, text.utf8.prefix(5).map({ $0 | 0x20 }) == Array("ipv6:".utf8) {
            let bare = String(decoding: text.utf8.dropFirst(5), as: UTF8.self)
            return bare.contains(":") && IPAddress(bare) != nil && !bare.contains("%") ? bare : nil
        }
        return isIPv4(Array(text.utf8)) ? text : nil
    }

    /// `valid_ipv4_hostaddr`: four decimal bytes, no other characters, a first byte of 0 only in 0.0.0.0.
    static func isIPv4(_ text: [UInt8]) -> Bool {
        var count = 0
        var value = 0
        var inByte = false
        for (index, byte) in text.enumerated() {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if !inByte { inByte = true; value = 0; count += 1 }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                if value > 255 { return false }
            } else if byte == UInt8(ascii: ".") {
                if !inByte || index == text.count - 1 { return false }
                if count == 1 && value == 0 && text.contains(where: { $0 != UInt8(ascii: "0") && $0 != UInt8(ascii: ".") }) {
                    return false
                }
                inByte = false
            } else {
                return false
            }
        }
        return count == 4
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
