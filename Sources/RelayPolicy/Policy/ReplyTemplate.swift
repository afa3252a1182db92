/// A configured SMTP reply such as `550 5.7.1 <%r>: Relay access denied`, checked once at load time so that
/// expanding it per recipient cannot fail.
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
        var scan = rest.makeIterator()
        while let c = scan.next() {
            guard c == "%" else { continue }
            switch scan.next() {
            case "r", "%": continue
            case let other:
                throw ParseError(message: "unknown escape \"%\(other.map(String.init) ?? "")\" in reply (use %r for the recipient, %% for a percent sign)")
            }
        }
        self.code = String(first)
        self.xcode = xcode
        self.text = String(rest)
    }

    /// The reply for one recipient: `%r` becomes the recipient (control characters removed), `%%` a percent sign.
    public func expand(recipient: String) -> Reply {
        guard text.contains("%") else { return Reply(code: code, xcode: xcode, text: text) }
        var out = ""
        var scan = text.makeIterator()
        while let c = scan.next() {
            guard c == "%" else { out.append(c); continue }
            if scan.next() == "r" {
                out.unicodeScalars.append(contentsOf: recipient.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
            } else {
                out.append("%")
            }
        }
        return Reply(code: code, xcode: xcode, text: out)
    }

    public var description: String { [code, xcode, text].compactMap { $0 }.joined(separator: " ") }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
