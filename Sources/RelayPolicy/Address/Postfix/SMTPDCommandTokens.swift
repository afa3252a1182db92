/// Postfix smtpd's command tokenizer (`smtpd_token`): white space separates tokens except inside `<...>` (which
/// nests) and `"..."`, a backslash protects the next byte, and `TO:` / `FROM:` end a token at their colon.
/// Written from Postfix's `src/smtpd/smtpd_token.c`; not a copy.
enum SMTPDCommandTokens {
    struct Token: Equatable {
        var text: [UInt8]
        /// An opened `<` or `"` that never closed: Postfix answers 501 5.1.3.
        var malformed: Bool
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    static func split(_ line: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while true {
            var token = Token(text: [], malformed: false)
            while index < line.count {
                let byte = line[index]
                index += 1
                if isSpace(byte) {
                    while index < line.count, isSpace(line[index]) { index += 1 }
                    if !token.text.isEmpty { break }
                } else if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "\"") {
                    quoted(line, &index, &token, start: byte, close: byte == UInt8(ascii: "<") ? UInt8(ascii: ">") : byte)
                } else if byte == UInt8(ascii: ":") {
                    token.text.append(byte)
                    let lower = token.text.map { $0 | 0x20 }
                    if Array("to:".utf8).starts(with: lower) || Array("from:".utf8).starts(with: lower) { break }
                } else {
                    if byte == UInt8(ascii: "\\") {
                        token.text.append(byte)
                        guard index < line.count else { break }
                        token.text.append(line[index])
                        index += 1
                        continue
                    }
                    token.text.append(byte)
                }
            }
            if token.text.isEmpty { return tokens }
            tokens.append(token)
        }
    }

    /// Reads to the matching close; inside `<...>`, a `"` opens a quoted string and a `<` nests.
    private static func quoted(_ line: [UInt8], _ index: inout Int, _ token: inout Token, start: UInt8, close: UInt8) {
        var stack: [UInt8] = [close]
        token.text.append(start)
        while index < line.count {
            let byte = line[index]
            index += 1
            token.text.append(byte)
            if byte == UInt8(ascii: "\\") {
                guard index < line.count else { break }
                token.text.append(line[index])
                index += 1
            } else if byte == stack.last {
                if stack.count == 1 { return }
                stack.removeLast()
            } else if byte == UInt8(ascii: "\"") {
                stack.append(byte)
            } else if byte == UInt8(ascii: "<") && stack.last == UInt8(ascii: ">") {
                stack.append(UInt8(ascii: ">"))
            }
        }
        token.malformed = true
    }
}
