/// A model of what Postfix's smtpd makes of `RCPT TO:<argument>`: the argument a milter receives, and the address
/// Postfix resolves and delivers to, which it hands a milter as `{rcpt_addr}`. Pure, no I/O.
///
/// The steps are Postfix's (3.7): the command tokenizer; `extract_addr` with `strict_rfc821_envelopes = no` (outer
/// brackets off, a source route cut, then the RFC 822 parser: comments dropped, quotes and backslashes undone, the
/// address inside `Joe <a>` or `<<a>>` taken, more than one address refused); the "local" rewrite and the resolver
/// (`site!user`, `user%site`, `@$myorigin`, local domains stripped, `@$myhostname` for an address without a domain,
/// the domain's syntax checked, a leading `-` refused); then the case folding of smtpd's resolver cache and RFC 821
/// quoting.
/// `Tests/EndToEndTests/PostfixParseDifferentialTests` compares it with a real Postfix on every corpus row.
public enum PostfixAddressParser {
    /// The main.cf parameters the result depends on.
    public struct Settings: Sendable, Equatable {
        /// `myhostname`: appended to an address without a domain.
        public var myhostname: String
        /// `myorigin` (with `append_at_myorigin = yes`): appended by the local rewrite first.
        public var myorigin: String
        /// `mydestination`, lowercased: domains the resolver strips to follow `%`, `!` and quoted `@` further.
        public var localDomains: Set<String>
        /// `inet_interfaces` and `proxy_interfaces`: their `[address]` literals are local too.
        public var localAddresses: [IPAddress]
        public var swapBangPath: Bool
        public var percentHack: Bool
        /// `smtputf8_enable`.
        public var smtputf8: Bool
        /// `empty_address_recipient`.
        public var emptyAddressRecipient: String
        /// `line_length_limit`: Postfix 3.7 reads that much of a longer command and skips the rest.
        public var lineLengthLimit: Int
        /// `allow_min_user`: without it (the default), a resolved recipient that starts with `-` is a syntax error,
        /// so that no delivery command can read it as an option.
        public var allowMinUser: Bool

        public init(
            myhostname: String = "localhost",
            myorigin: String? = nil,
            localDomains: Set<String> = [],
            localAddresses: [IPAddress] = [],
            swapBangPath: Bool = true,
            percentHack: Bool = true,
            smtputf8: Bool = true,
            emptyAddressRecipient: String = "MAILER-DAEMON",
            lineLengthLimit: Int = 2048,
            allowMinUser: Bool = false
        ) {
            self.myhostname = myhostname
            self.myorigin = myorigin ?? myhostname
            self.localDomains = Set(localDomains.map { $0.lowercased() })
            self.localAddresses = localAddresses
            self.swapBangPath = swapBangPath
            self.percentHack = percentHack
            self.smtputf8 = smtputf8
            self.emptyAddressRecipient = emptyAddressRecipient
            self.lineLengthLimit = lineLengthLimit
            self.allowMinUser = allowMinUser
        }
    }

    /// What Postfix does with one RCPT command.
    public enum Outcome: Sendable, Equatable {
        /// The syntax passes: `argument` is the milter's argv[0], `rcptAddr` its `{rcpt_addr}`. Postfix's own
        /// restrictions (`reject_unauth_destination`, ...) may still refuse it before the milter is asked.
        case parsed(argument: String, rcptAddr: String)
        /// Postfix answers the command itself with this reply (a syntax error), before any restriction or milter.
        case refused(reply: String)
    }

    /// The outcome of `RCPT TO:` followed by `argument` (ESMTP parameters included), from a client that declared
    /// SMTPUTF8 in MAIL FROM or not.
    public static func parse(rcptArgument argument: String, smtputf8Declared: Bool = true, settings: Settings = Settings()) -> Outcome {
        var line = Array("RCPT TO:".utf8) + Array(argument.utf8)
        // Postfix 3.7 (Debian 12) goes on with what fits; later versions answer 500 5.5.2 instead.
        if line.count > settings.lineLengthLimit { line.removeSubrange(settings.lineLengthLimit...) }
        // Postfix's strings end at a NUL.
        if let nul = line.firstIndex(of: 0) { line.removeSubrange(nul...) }
        let tokens = SMTPDCommandTokens.split(line)
        guard tokens.count >= 3, tokens[1].text.map({ $0 | 0x20 }) == Array("to:".utf8) else {
            return .refused(reply: "501 5.5.4 Syntax: RCPT TO:<address>")
        }
        let badSyntax = Outcome.refused(reply: "501 5.1.3 Bad recipient address syntax")
        guard !tokens[2].malformed, let address = extractAddress(tokens[2].text), !address.isEmpty else { return badSyntax }
        guard let resolved = PostfixResolver(settings: settings).resolve(address) else { return badSyntax }
        // smtpd_check_addr: without SMTPUTF8, a non-ASCII domain is a syntax error.
        if !smtputf8Declared, let at = resolved.lastIndex(of: UInt8(ascii: "@")), resolved[(at + 1)...].contains(where: { $0 >= 0x80 }) {
            return badSyntax
        }
        for parameter in tokens.dropFirst(3) {
            let upper = parameter.text.map { ($0 >= 0x61 && $0 <= 0x7A) ? $0 - 0x20 : $0 }
            guard upper.starts(with: Array("NOTIFY=".utf8)) || upper.starts(with: Array("ORCPT=".utf8)) else {
                return .refused(reply: "555 5.5.4 Unsupported option: " + String(decoding: parameter.text, as: UTF8.self))
            }
        }
        let rcptAddr = PostfixQuoting.quote821(casefolded(resolved, utf8: settings.smtputf8))
        return .parsed(argument: String(decoding: tokens[2].text, as: UTF8.self),
                       rcptAddr: String(decoding: rcptAddr, as: UTF8.self))
    }

    /// `{rcpt_addr}` for a recipient as a milter receives it (argv[0]), nil when Postfix would refuse its syntax.
    public static func rcptAddr(forArgument argument: String, settings: Settings = Settings()) -> String? {
        guard case .parsed(_, let rcptAddr) = parse(rcptArgument: argument, settings: settings) else { return nil }
        return rcptAddr
    }

    /// The one address in an RCPT argument (argv[0] of a milter's RCPT) as smtpd's `extract_addr` reads it: what a
    /// policy service gets as `recipient`. Nil when that is the argument without its angle brackets (checked first,
    /// byte by byte: most arguments have none of RFC 822's specials), and when there is no address or several.
    static func extractedAddress(_ argument: String) -> String? {
        let needsParsing = argument.utf8.withContiguousStorageIfAvailable(needsParsing) ?? needsParsing(Array(argument.utf8))
        guard needsParsing, let address = extractAddress(Array(argument.utf8)), !address.isEmpty else { return nil }
        return String(decoding: address, as: UTF8.self)
    }

    /// Whether the argument, without its angle brackets, starts a source route or has a byte `isRFC822Special`.
    private static func needsParsing(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var (start, end) = (0, bytes.count)
        if end >= 2, bytes[0] == UInt8(ascii: "<"), bytes[end - 1] == UInt8(ascii: ">") { (start, end) = (1, end - 1) }
        if start < end, bytes[start] == UInt8(ascii: "@") { return true }
        for index in start..<end where isRFC822Special(bytes[index]) { return true }
        return false
    }

    private static func needsParsing(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer(needsParsing)
    }

    /// A byte Postfix's RFC 822 tokenizer treats specially inside an address: quotes, escapes, comments, brackets,
    /// list and route separators, blanks and controls. A bit per ASCII byte: every byte of a milter's recipient
    /// passes here.
    private static func isRFC822Special(_ byte: UInt8) -> Bool {
        (byte < 64 ? lowSpecials : highSpecials) >> (byte & 63) & 1 == 1 && byte < 128
    }

    /// Bytes 0-63: controls, space, `"`, `(`, `)`, `,`, `:`, `;`, `<`, `>`. Literals, not computed: a computed static
    /// is initialised lazily, behind a check on every access.
    private static let lowSpecials: UInt64 = 0x5C00_1305_FFFF_FFFF
    /// Bytes 64-127: `[`, `\`, `]`, DEL.
    private static let highSpecials: UInt64 = 0x8000_0000_3800_0000

    /// `extract_addr`: the internal form of the one address in the argument, "" for none, nil for several.
    static func extractAddress(_ argument: [UInt8]) -> [UInt8]? {
        var text = argument[...]
        if text.count >= 2, text.first == UInt8(ascii: "<"), text.last == UInt8(ascii: ">") {
            text = text.dropFirst().dropLast()
        }
        // The deprecated route address form is cut off at its first colon.
        if text.first == UInt8(ascii: "@"), let colon = text.firstIndex(of: UInt8(ascii: ":")) {
            text = text[(colon + 1)...]
        }
        var tokens = Tok822()
        var node = tokens.parse(Array(text))
        var address = Tok822.none
        var count = 0
        while node != Tok822.none {
            if tokens.type[node] == Tok822.address { address = node; count += 1 }
            node = tokens.nextOf(node)
        }
        guard count <= 1 else { return nil }
        return address == Tok822.none ? [] : tokens.internalized(tokens.headOf(address))
    }

    /// smtpd's resolver cache case-folds what it stores (`casefold`): ASCII lowercased, and with SMTPUTF8 on, the
    /// rest folded as ICU does. Swift's lowercase mapping is that folding but for the few characters whose full
    /// folding differs from it (`ß` to `ss` and the like), listed here.
    static func casefolded(_ bytes: [UInt8], utf8: Bool) -> [UInt8] {
        guard utf8, bytes.contains(where: { $0 >= 0x80 }), PostfixHostSyntax.isValidUTF8(bytes) else {
            return bytes.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }
        }
        var out = ""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            if let special = fullFolding[scalar.value] {
                out += special
            } else if scalar.properties.changesWhenCaseFolded {
                out += scalar.properties.lowercaseMapping
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return Array(out.utf8)
    }

    private static let fullFolding: [UInt32: String] = [
        0xDF: "ss", 0x1E9E: "ss", 0x130: "i\u{307}", 0x149: "\u{2BC}n", 0x3C2: "\u{3C3}", 0x3D0: "\u{3B2}",
        0x3D1: "\u{3B8}", 0x3D5: "\u{3C6}", 0x3D6: "\u{3C0}", 0x3F0: "\u{3BA}", 0x3F1: "\u{3C1}", 0x3F5: "\u{3B5}",
        0x1E9B: "\u{1E61}", 0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "st",
        0xFB06: "st", 0x587: "\u{565}\u{582}", 0x345: "\u{3B9}", 0x1FBE: "\u{3B9}", 0x17F: "s",
    ]
}
