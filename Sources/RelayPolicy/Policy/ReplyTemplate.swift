/// A configured SMTP reply such as `550 5.7.1 <%r>: Relay access denied`, checked once at load time so that
/// expanding it per recipient cannot fail.
///
/// Every denial expands one, so the escapes are resolved at parse time into UTF-8 pieces: expanding is one
/// allocation of the exact size and byte copies, not a walk over Characters.
public struct ReplyTemplate: Sendable, Equatable, CustomStringConvertible {
    /// Why a reply text was refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// The three-digit code.
    public let code: String
    /// The enhanced status code, when given.
    public let xcode: String?
    /// The text as written, with `%r` and `%%` still in it.
    public let text: String
    /// The text split at each `%r`, with `%%` already turned into `%`: the recipient goes between neighbours.
    private let pieces: [[UInt8]]
    /// The expanded text of a template without `%r`, the same for every recipient.
    private let fixedText: String?

    /// Parses `CODE [X.Y.Z] TEXT`. `class` is the first digit the code must have: 5 for a reject, 4 for a tempfail,
    /// because libmilter silently drops a reply whose class does not match the verdict.
    public init(parsing source: String, class expectedClass: Character) throws(ParseError) {
        let trimmed = source.drop { $0 == " " || $0 == "\t" }
        let parts = trimmed.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard let first = parts.first, first.count == 3, first.allSatisfy(\.isASCIIDigit),
              first.first == expectedClass, first.dropFirst().first.map({ "0"..."5" ~= $0 }) == true
        else {
            throw ParseError(message: "expected a reply starting with a \(expectedClass)xx code, e.g. \"\(expectedClass)50 \(expectedClass).7.1 text\", got \"\(source)\"")
        }
        var rest = parts.count > 1 ? Substring(parts[1]) : ""
        var xcode: String?
        let word = rest.prefix { $0 != " " }
        if let w = word.first, w.isASCIIDigit {
            let fields = word.split(separator: ".", omittingEmptySubsequences: false)
            guard fields.count == 3, fields.allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) }),
                  fields[0] == String(expectedClass)
            else {
                throw ParseError(message: "bad enhanced status code \"\(word)\" (expected \(expectedClass).X.Y, e.g. \(expectedClass).7.1)")
            }
            xcode = String(word)
            rest = rest.dropFirst(word.count).drop { $0 == " " }
        }
        if rest.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw ParseError(message: "a reply must be one line")
        }
        // Escapes are Characters, as an admin reads them: a `%` carrying a combining mark is plain text.
        var pieces: [[UInt8]] = [[]]
        var scan = rest.makeIterator()
        while let c = scan.next() {
            guard c == "%" else {
                pieces[pieces.count - 1].append(contentsOf: c.utf8)
                continue
            }
            switch scan.next() {
            case "r": pieces.append([])
            case "%": pieces[pieces.count - 1].append(UInt8(ascii: "%"))
            case let other:
                throw ParseError(message: "unknown escape \"%\(other.map(String.init) ?? "")\" in reply (use %r for the recipient, %% for a percent sign)")
            }
        }
        let text = String(rest)
        self.code = String(first)
        self.xcode = xcode
        self.text = text
        self.pieces = pieces
        if pieces.count > 1 {
            self.fixedText = nil
        } else {
            self.fixedText = text.utf8.elementsEqual(pieces[0]) ? text : String(decoding: pieces[0], as: UTF8.self)
        }
    }

    /// The reply for one recipient: `%r` becomes the recipient (control characters removed), `%%` a percent sign.
    public func expand(recipient: String) -> Reply {
        if let fixedText { return Reply(code: code, xcode: xcode, text: fixedText) }
        var recipient = recipient
        let out = recipient.withUTF8 { recipient in
            // Control characters are ASCII, and ASCII bytes never occur inside a multi-byte UTF-8 sequence, so
            // dropping bytes below 0x20 and 0x7F removes exactly those scalars and leaves valid UTF-8.
            var kept = 0
            for byte in recipient where Self.isKept(byte) { kept += 1 }
            var total = kept * (pieces.count - 1)
            for piece in pieces { total += piece.count }
            return String(unsafeUninitializedCapacity: total) { buffer in
                var count = 0
                for (index, piece) in pieces.enumerated() {
                    if index > 0 {
                        if kept == recipient.count {
                            count = UnsafeMutableBufferPointer(rebasing: buffer[count...]).initialize(fromContentsOf: recipient) + count
                        } else {
                            for byte in recipient where Self.isKept(byte) {
                                buffer[count] = byte
                                count += 1
                            }
                        }
                    }
                    count = UnsafeMutableBufferPointer(rebasing: buffer[count...]).initialize(fromContentsOf: piece) + count
                }
                return count
            }
        }
        return Reply(code: code, xcode: xcode, text: out)
    }

    @inline(__always)
    private static func isKept(_ byte: UInt8) -> Bool { byte >= 0x20 && byte != 0x7F }

    /// Templates are equal when they were written the same; `pieces` only caches what `text` says.
    public static func == (lhs: ReplyTemplate, rhs: ReplyTemplate) -> Bool {
        lhs.code == rhs.code && lhs.xcode == rhs.xcode && lhs.text == rhs.text
    }

    public var description: String { [code, xcode, text].compactMap { $0 }.joined(separator: " ") }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
