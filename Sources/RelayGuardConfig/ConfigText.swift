/// The byte-level rules every piece of config text is read by, the main file and included files alike: where a
/// line ends, what a blank is, what separates list entries, and which bytes are refused. One rule each, on UTF-8
/// bytes: the bytes that carry them (`\n`, `\r`, space, TAB, `,`, `#`) are ASCII and never part of a longer UTF-8
/// sequence, so a byte search finds exactly the characters meant, combining marks or not.
///
/// A control character is invisible in an editor and in `show-config`, yet part of the value: `local_domains =
/// corp.test<NUL>evil.test` read as one odd domain that matched nothing and turned local mail into relay attempts.
/// A byte-order mark is invisible too, and glued to the first key or entry; Postfix's own readers take it as part of
/// the text as well, so a file that carries one is reported rather than silently repaired.
enum ConfigText {
    /// Something wrong with one line as a whole.
    enum LineProblem: Equatable {
        /// U+FEFF at the start of line 1; the line is handed on without it.
        case byteOrderMark
        /// C0 (TAB aside), DEL or C1; the line is not handed on.
        case control(Unicode.Scalar)

        var message: String {
            switch self {
            case .byteOrderMark:
                return "the file starts with a UTF-8 byte-order mark (EF BB BF), which would be read as part of the first "
                    + "line; save the file without it"
            case .control(let scalar):
                let hex = String(scalar.value, radix: 16, uppercase: true)
                let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                let names: [UInt32: String] = [0: "NUL ", 0x0D: "carriage return ", 0x1B: "ESC ", 0x7F: "DEL "]
                return "control character \(names[scalar.value] ?? "")(\(code)) in the line; only printable text, spaces "
                    + "and TABs are allowed: remove it"
            }
        }
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    static func isListSeparator(_ byte: UInt8) -> Bool { isBlank(byte) || byte == UInt8(ascii: ",") }

    /// Hands each line of `text` to `body` with its number (from 1), without its `\n` or `\r\n`, with blanks at both
    /// ends trimmed (as a Substring and as its bytes, valid during the call), and whether it started with a blank (a
    /// continuation line). A line with a problem is reported
    /// through `problem` first; one with a control character is then skipped.
    static func forEachLine(
        of text: String,
        problem: (_ number: Int, LineProblem) -> Void,
        _ body: (_ number: Int, _ content: Substring, _ bytes: UnsafeBufferPointer<UInt8>, _ indented: Bool) -> Void
    ) {
        var text = text
        text.makeContiguousUTF8()
        let utf8 = text.utf8
        utf8.withContiguousStorageIfAvailable { bytes in
            var number = 0
            var lineStart = 0
            while lineStart <= bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                number += 1
                let next = lineEnd + 1
                defer { lineStart = next }
                var start = lineStart
                // A `\r` right before the `\n` belongs to the line end (CRLF); anywhere else it is a control character.
                var end = lineEnd
                if lineEnd < bytes.count, lineEnd > lineStart, bytes[lineEnd - 1] == UInt8(ascii: "\r") { end -= 1 }
                if number == 1, end - start >= 3, bytes[start] == 0xEF, bytes[start + 1] == 0xBB, bytes[start + 2] == 0xBF {
                    problem(number, .byteOrderMark)
                    start += 3
                }
                if let control = controlCharacter(in: UnsafeBufferPointer(rebasing: bytes[start..<end])) {
                    problem(number, .control(control))
                    continue
                }
                let indented = start < end && isBlank(bytes[start])
                while start < end, isBlank(bytes[start]) { start += 1 }
                while end > start, isBlank(bytes[end - 1]) { end -= 1 }
                let content = Substring(utf8[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)])
                body(number, content, UnsafeBufferPointer(rebasing: bytes[start..<end]), indented)
            }
        }
    }

    /// The first control character: a C0 byte but TAB, DEL, or a C1 character (UTF-8 `C2 80` to `C2 9F`).
    static func controlCharacter(in bytes: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7F { return Unicode.Scalar(byte) }
            if byte == 0xC2, index + 1 < bytes.count, bytes[index + 1] >= 0x80, bytes[index + 1] <= 0x9F {
                return Unicode.Scalar(bytes[index + 1])
            }
            index += 1
        }
        return nil
    }

    /// `text` without blanks at either end.
    static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !isBlank($0) }), let last = utf8.lastIndex(where: { !isBlank($0) }) else {
            return text[text.endIndex...]
        }
        return Substring(utf8[first...last])
    }

    /// The entries of a list value: separated by commas and/or blanks.
    static func words(_ text: Substring) -> [Substring] {
        text.utf8.split(whereSeparator: isListSeparator).map { Substring($0) }
    }
}
