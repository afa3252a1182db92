/// What config text may not hold, for the main file and included files alike.
///
/// A control character is invisible in an editor and in `show-config`, yet part of the value: `local_domains =
/// corp.test<NUL>evil.test` read as one odd domain that matched nothing and turned local mail into relay attempts.
/// A byte-order mark is invisible too, and glued to the first key or entry; Postfix's own readers take it as part of
/// the text as well, so a file that carries one is reported rather than silently repaired.
enum ConfigText {
    static let byteOrderMark: Unicode.Scalar = "\u{FEFF}"

    static let byteOrderMarkMessage = "the file starts with a UTF-8 byte-order mark (EF BB BF), which would be read as part of "
        + "the first line; save the file without it"

    /// The first control character in `line` (C0, DEL or C1), TAB aside.
    static func controlCharacter(in line: some StringProtocol) -> Unicode.Scalar? {
        line.unicodeScalars.first { $0 != "\t" && $0.properties.generalCategory == .control }
    }

    /// The same for an ASCII line's bytes.
    static func controlByte(in bytes: some Sequence<UInt8>) -> Unicode.Scalar? {
        bytes.first { ($0 < 0x20 && $0 != UInt8(ascii: "\t")) || $0 == 0x7F }.map { Unicode.Scalar($0) }
    }

    static func controlMessage(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let names: [UInt32: String] = [0: "NUL ", 0x0D: "carriage return ", 0x1B: "ESC ", 0x7F: "DEL "]
        return "control character \(names[scalar.value] ?? "")(\(code)) in the line; only printable text, spaces and TABs "
            + "are allowed: remove it"
    }
}
