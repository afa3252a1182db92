/// Reads an X.400 O/R address in its text form (RFC 1685, RFC 2156 section 4.2, MS-OXCMAIL 2.1.3.1.8) the way
/// Exchange reads an IMCEAX400 body, for the one thing relaying depends on: whether a domain-defined attribute
/// (`DDA:<type>=<value>`) names an address on another hop.
///
/// The text is `key=value` fields. Exchange takes `/` as the separator when the text starts with `/` (`_` in the
/// IMCEA encoding) and `;` otherwise, whatever other separators occur inside values; spaces and TABs around keys and
/// values are ignored, a backslash makes the next byte literal, and keys are compared without case. A DDA value is
/// an RFC 822 address written with RFC 2156's mappings: `(a)` is `@`, `(p)` `%`, `(b)` `!`, `(q)` `"`, `(l)` `(`,
/// `(r)` `)`, and `(NNN)` the byte with that decimal code.
///
/// The reading never fails: a field without `=` is skipped and a trailing backslash is literal, so text Exchange
/// would refuse still has every DDA-looking field examined. Every DDA type counts (SMTP, RFC-822, INTERNET, or one
/// a connector invents): a value that routes is a reroute attempt whichever connector would take it.
enum X400Address {
    /// What an X.400 body says about where mail to it goes.
    struct Reading: Equatable {
        /// The address a DDA names: the first DDA value of any type that carries `@`, `%` or `!` once mapped, else the
        /// first non-empty SMTP, RFC-822, RFC822 or INTERNET one; nil when there is neither.
        var address: [UInt8]?
        /// Whether a DDA value carries `@`, `%` or `!` once escapes are removed and RFC 2156's mappings applied.
        var routes: Bool
    }

    /// Reads `body`, an IMCEAX400 payload with the IMCEA `+HH` and `_` encoding already undone.
    ///
    /// Exchange's separator decides, and the other separator is read as well when that finds no routing DDA: whether
    /// Exchange skips leading blanks before it looks for `/` was not observed, and a second reading can only add
    /// denials of text whose values already name another hop.
    static func read(_ body: AddressBytes) -> Reading {
        let exchange = body.first == ASCII.slash ? ASCII.slash : ASCII.semicolon
        var internet: [UInt8]?
        if let routed = firstRoutingDDA(body, separator: exchange, internet: &internet) {
            return Reading(address: routed, routes: true)
        }
        var unused: [UInt8]?
        let other = exchange == ASCII.slash ? ASCII.semicolon : ASCII.slash
        if let routed = firstRoutingDDA(body, separator: other, internet: &unused) {
            return Reading(address: routed, routes: true)
        }
        return Reading(address: internet, routes: false)
    }

    /// The first mapped DDA value with a routing character; `internet` gets the first non-empty internet-type value
    /// seen before it.
    private static func firstRoutingDDA(_ body: AddressBytes, separator: UInt8, internet: inout [UInt8]?) -> [UInt8]? {
        var start = 0
        while start < body.count {
            var index = start
            var equals = -1
            while index < body.count, body[index] != separator {
                if body[index] == ASCII.backslash {
                    index &+= 2
                    continue
                }
                if equals < 0, body[index] == ASCII.equals { equals = index }
                index &+= 1
            }
            let end = min(index, body.count)
            if equals >= 0, let kind = ddaKind(body, start..<equals) {
                let value = mappedValue(body, (equals + 1)..<end)
                if value.contains(where: ASCII.isRoutingMark) { return value }
                if kind == .internet, internet == nil, !value.isEmpty { internet = value }
            }
            start = end &+ 1
        }
        return nil
    }

    private enum DDAKind { case internet, other }

    /// Whether the key in `range` is `DDA` or `DDA:<type>`, and whether the type carries internet addresses.
    private static func ddaKind(_ body: AddressBytes, _ range: Range<Int>) -> DDAKind? {
        var key = KeyBytes(bytes: body, index: range.lowerBound, end: range.upperBound)
        guard key.next() == 0x64, key.next() == 0x64, key.next() == 0x61 else { return nil }  // "dda"
        switch key.next() {
        case nil: return .other
        case ASCII.colon: break
        default: return nil
        }
        for literal: StaticString in ["smtp", "rfc-822", "rfc822", "internet"] where key.isExactly(literal) {
            return .internet
        }
        return .other
    }

    /// A key's bytes as Exchange compares them: escapes resolved, unescaped spaces and TABs dropped, ASCII-lowercased.
    private struct KeyBytes: IteratorProtocol {
        let bytes: AddressBytes
        var index: Int
        let end: Int

        mutating func next() -> UInt8? {
            while index < end {
                var byte = bytes[index]
                index &+= 1
                if byte == ASCII.space || byte == ASCII.tab { continue }
                if byte == ASCII.backslash, index < end {
                    byte = bytes[index]
                    index &+= 1
                }
                return ASCII.lowercased(byte)
            }
            return nil
        }

        /// Whether the rest of the key is `literal` (lowercase ASCII), without consuming it.
        func isExactly(_ literal: StaticString) -> Bool {
            var rest = self
            return literal.withUTF8Buffer { expected in
                for byte in expected where rest.next() != byte { return false }
                return rest.next() == nil
            }
        }
    }

    /// The value in `range`: escapes removed, unescaped spaces and TABs at either end trimmed, RFC 2156 mapped.
    static func mappedValue(_ body: AddressBytes, _ range: Range<Int>) -> [UInt8] {
        var value: [UInt8] = []
        value.reserveCapacity(range.count)
        // The length up to the last byte that is not an unescaped blank, so trailing blanks can be cut at the end.
        var kept = 0
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = body[index]
            index &+= 1
            if byte == ASCII.space || byte == ASCII.tab {
                if !value.isEmpty { value.append(byte) }
                continue
            }
            if byte == ASCII.backslash, index < range.upperBound {
                value.append(body[index])
                index &+= 1
            } else {
                value.append(byte)
            }
            kept = value.count
        }
        value.removeSubrange(kept...)
        applyRFC2156Mappings(&value)
        return value
    }

    /// Replaces `(a)` `(p)` `(b)` `(q)` `(l)` `(r)` (either case) and `(N)` to `(NNN)` (decimal, at most 255) with
    /// the byte they stand for, in one left-to-right pass; a `(` that starts none of them is literal.
    static func applyRFC2156Mappings(_ value: inout [UInt8]) {
        guard value.contains(ASCII.openParen) else { return }
        var read = 0
        var write = 0
        while read < value.count {
            if value[read] == ASCII.openParen, let (byte, length) = mapping(value, at: read) {
                value[write] = byte
                read &+= length
            } else {
                value[write] = value[read]
                read &+= 1
            }
            write &+= 1
        }
        value.removeSubrange(write...)
    }

    /// The byte and length of the mapping that starts with the `(` at `start`.
    private static func mapping(_ value: [UInt8], at start: Int) -> (UInt8, Int)? {
        guard start + 2 < value.count else { return nil }
        let letter: UInt8? = switch ASCII.lowercased(value[start + 1]) {
        case 0x61: ASCII.at  // a
        case 0x70: ASCII.percent  // p
        case 0x62: ASCII.bang  // b
        case 0x71: ASCII.quote  // q
        case 0x6C: ASCII.openParen  // l
        case 0x72: ASCII.closeParen  // r
        default: nil
        }
        if let letter, value[start + 2] == ASCII.closeParen { return (letter, 3) }
        var code = 0
        var index = start + 1
        while index < value.count, index - start <= 3, value[index] &- 0x30 < 10 {
            code = code * 10 + Int(value[index] &- 0x30)
            index += 1
        }
        guard index > start + 1, index < value.count, value[index] == ASCII.closeParen, code <= 255 else { return nil }
        return (UInt8(code), index - start + 1)
    }
}
