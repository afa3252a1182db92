/// Postfix's local-part quoting between its internal form (`a b@c`) and the external one (`"a b"@c`): RFC 822 for
/// its rewriting (`quote_822_local`, `unquote_822_local`), RFC 821 for what it hands a milter (`quote_821_local`).
/// Written from Postfix's `src/global/quote_82[12]_local.c`; 8-bit bytes are left alone (Postfix's default flags).
enum PostfixQuoting {
    private static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    private static func isDotString(_ bytes: ArraySlice<UInt8>, specials: (UInt8) -> Bool) -> Bool {
        guard let first = bytes.first, first != UInt8(ascii: ".") else { return false }
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "."), index + 1 < bytes.endIndex, bytes[index + 1] == UInt8(ascii: ".") { return false }
            if byte == 0x20 || isControl(byte) || specials(byte) { return false }
            index += 1
        }
        return bytes.last != UInt8(ascii: ".")
    }

    private static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""),
             UInt8(ascii: "["), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }

    /// `quote_822_local`: the local part (after any source route, before the last `@`) quoted unless it is a
    /// dot-string.
    static func quote822(_ mailbox: [UInt8]) -> [UInt8] {
        var start = 0
        if mailbox.first == UInt8(ascii: "@"), let colon = mailbox.firstIndex(of: UInt8(ascii: ":")) { start = colon + 1 }
        let end = mailbox[start...].lastIndex(of: UInt8(ascii: "@")) ?? mailbox.count
        if isDotString(mailbox[start..<end], specials: isSpecial) { return mailbox }
        var out = Array(mailbox[..<start])
        out.append(UInt8(ascii: "\""))
        for byte in mailbox[start..<end] {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x0D { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
        out += mailbox[end...]
        return out
    }

    /// `unquote_822_local`: quotes and backslashes removed up to the last unquoted `@`; the domain stays as it is.
    static func unquote822(_ mailbox: [UInt8]) -> [UInt8] {
        var start = 0
        var out: [UInt8] = []
        if mailbox.first == UInt8(ascii: "@"), let colon = mailbox.firstIndex(of: UInt8(ascii: ":")) {
            start = colon + 1
            out = Array(mailbox[..<start])
        }
        var inQuote = false
        var bareAt: (destination: Int, source: Int)?
        var index = start
        while index < mailbox.count {
            var byte = mailbox[index]
            if byte == UInt8(ascii: "\"") {
                inQuote.toggle()
                index += 1
                continue
            } else if byte == UInt8(ascii: "@") {
                if !inQuote { bareAt = (out.count, index) }
            } else if byte == UInt8(ascii: "\\") {
                if index + 1 == mailbox.count { index += 1; continue }
                index += 1
                byte = mailbox[index]
            }
            out.append(byte)
            index += 1
        }
        if let bareAt {
            out.removeSubrange(bareAt.destination...)
            out += mailbox[bareAt.source...]
        }
        return out
    }

    /// `quote_821_local`: the local part (before the last `@`) quoted unless it is an RFC 821 dot-string.
    static func quote821(_ address: [UInt8]) -> [UInt8] {
        let at = address.lastIndex(of: UInt8(ascii: "@")) ?? address.count
        if isDotString(address[..<at], specials: isSpecial) { return address }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in address[..<at] {
            if byte == 0x0D || byte == 0x0A || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(UInt8(ascii: "\\"))
            }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
        out += address[at...]
        return out
    }
}
