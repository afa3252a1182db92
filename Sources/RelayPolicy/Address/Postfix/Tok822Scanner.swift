/// Postfix's RFC 822 tokenizer (`tok822_scan`), written from `src/global/tok822_parse.c`; not a copy.
extension Tok822 {
    static func isSpaceTabCRLF(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    /// `|%!` and RFC 822's specials.
    static func isOperator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "|"), UInt8(ascii: "%"), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "."), UInt8(ascii: "["),
             UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }

    /// Tokenizes `input` into a chain; answers its first and last nodes (`none` when there are no tokens).
    mutating func scan(_ input: [UInt8]) -> (first: Int, last: Int) {
        var first = Self.none, last = Self.none
        var index = 0
        // Postfix's COLLECT: a backslash takes the next byte whatever it is; white space becomes one space.
        func collect(into bytes: inout [UInt8], _ keep: (UInt8) -> Bool) {
            while index < input.count {
                var byte = input[index]
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < input.count else { break }
                    byte = input[index]
                } else if !keep(byte) {
                    break
                }
                bytes.append(Self.isSpaceTabCRLF(byte) ? 0x20 : byte)
                index += 1
            }
        }
        while index < input.count {
            let byte = input[index]
            index += 1
            if Self.isSpaceTabCRLF(byte) { continue }
            let node: Int
            if byte == UInt8(ascii: "(") {
                var bytes: [UInt8] = [byte]
                var level = 1
                while index < input.count {
                    let c = input[index]
                    bytes.append(c)
                    index += 1
                    if c == UInt8(ascii: "(") {
                        level += 1
                    } else if c == UInt8(ascii: ")") {
                        level -= 1
                        if level == 0 { break }
                    } else if c == UInt8(ascii: "\\") {
                        guard index < input.count else { break }
                        bytes.append(input[index])
                        index += 1
                    }
                }
                node = alloc(Self.comment, bytes)
            } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "\"") {
                let close = byte == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "\"")
                var bytes: [UInt8] = []
                collect(into: &bytes) { $0 != close }
                if index < input.count { index += 1 }
                node = alloc(byte == UInt8(ascii: "[") ? Self.domainLiteral : Self.quoted, bytes)
            } else if byte != UInt8(ascii: "\\") && Self.isOperator(byte) {
                node = alloc(Int(byte))
            } else {
                index -= 1
                var bytes: [UInt8] = []
                collect(into: &bytes) { !Self.isSpaceTabCRLF($0) && !Self.isOperator($0) }
                // An atom that holds what an atom cannot (escaped) is a quoted string; 8-bit bytes are left alone.
                let needsQuotes = bytes.contains { $0 == 0x20 || $0 < 0x20 || $0 == 0x7F || Self.isOperator($0) }
                node = alloc(needsQuotes ? Self.quoted : Self.atom, bytes)
            }
            if first == Self.none { first = node; last = node } else { last = append(last, node) }
        }
        return (first, last)
    }

    /// `tok822_scan_addr`: an address node whose children are the tokens of `input`, unowned as Postfix leaves them.
    mutating func scanAddress(_ input: [UInt8]) -> Int {
        let tree = alloc(Self.address)
        let (first, last) = scan(input)
        head[tree] = first
        tail[tree] = last
        return tree
    }
}
