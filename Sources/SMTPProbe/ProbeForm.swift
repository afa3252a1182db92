import Foundation

/// One recipient the probe tries, and the family it belongs to.
public struct ProbeForm: Sendable, Equatable, Codable {
    public var family: String
    /// The RCPT TO argument without angle brackets (`"a@b"@corp.example`, `@hop:a@b`).
    public var recipient: String

    public init(family: String, recipient: String) {
        self.family = family
        self.recipient = recipient
    }

    /// The built-in test set: nmap smtp-open-relay's routed families, each also at the server's address literal,
    /// every IMCEA family RelayGuard decodes, and Lotus Domino's quoted lists.
    ///
    /// - Parameters:
    ///   - domain: the gateway's relay domain, where encapsulated and routed forms must be refused.
    ///   - literal: the server's address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`), nil to leave those out.
    ///   - target: the outside address every form tries to reach.
    public static func builtIn(domain: String, literal: String?, target: String) -> [ProbeForm] {
        let (user, targetDomain) = split(target)
        var forms = [ProbeForm(family: "plain-relay", recipient: target)]
        for host in [domain] + (literal.map { [$0] } ?? []) {
            let suffix = host == domain ? "" : "-literal"
            forms += [
                ProbeForm(family: "percent-hack" + suffix, recipient: "\(user)%\(targetDomain)@\(host)"),
                ProbeForm(family: "bang-path" + suffix, recipient: "\(targetDomain)!\(user)@\(host)"),
                ProbeForm(family: "quoted-at" + suffix, recipient: "\"\(target)\"@\(host)"),
                ProbeForm(family: "quoted-percent" + suffix, recipient: "\"\(user)%\(targetDomain)\"@\(host)"),
                ProbeForm(family: "double-at" + suffix, recipient: "\(target)@\(host)"),
                ProbeForm(family: "source-route" + suffix, recipient: "@\(host):\(target)"),
                ProbeForm(family: "imcea-smtp" + suffix, recipient: "IMCEASMTP-\(IMCEAText.encode(target))@\(host)"),
            ]
        }
        let encoded = IMCEAText.encode(target)
        forms += [
            ProbeForm(family: "imcea-smtp-lowercase", recipient: "imceasmtp-\(encoded.lowercased())@\(domain)"),
            ProbeForm(family: "imcea-utf8", recipient: "IMCEASMTP-UTF8-\(encoded)@\(domain)"),
            ProbeForm(family: "imcea-quoted", recipient: "\"IMCEASMTP-\(encoded)\"@\(domain)"),
            ProbeForm(family: "imcea-x400", recipient: "IMCEAX400-" + IMCEAText.encode(
                "c=US;a= ;p=Org;o=Site;s=\(user);dda:SMTP=\(target);") + "@\(domain)"),
            ProbeForm(family: "imcea-x400-rfc822", recipient: "IMCEAX400-" + IMCEAText.encode(
                "/c=US/a= /p=Org/o=Site/s=\(user)/dda:RFC-822=\(target)/") + "@\(domain)"),
            ProbeForm(family: "imcea-ex-raw-routing", recipient: "IMCEAEX-\(user)%\(targetDomain)@\(domain)"),
            ProbeForm(family: "imcea-nested", recipient: "IMCEASMTP-" + IMCEAText.encode("IMCEASMTP-\(encoded)@\(domain)") + "@\(domain)"),
            ProbeForm(family: "imcea-notes", recipient: "IMCEANOTES-\(encoded)@\(domain)"),
            ProbeForm(family: "imcea-fax", recipient: "IMCEAFAX-\(encoded)@\(domain)"),
            ProbeForm(family: "imcea-x500", recipient: "IMCEAX500-" + IMCEAText.encode("/o=Org/ou=Site/cn=Recipients/cn=\(user)") + "@\(domain)"),
            ProbeForm(family: "domino-list", recipient: "\"\(target), \(user)2@\(targetDomain)\"@\(domain)"),
        ]
        return forms
    }

    /// The admin's own forms: one `FAMILY RECIPIENT` a line, `#` comments; `{domain}`, `{literal}`, `{target}`,
    /// `{user}` and `{target_domain}` are replaced. Throws the first bad line as `file:line: message`.
    public static func parse(_ text: String, file: String, domain: String, literal: String?, target: String) throws(ProbeError) -> [ProbeForm] {
        let (user, targetDomain) = split(target)
        var forms: [ProbeForm] = []
        // isNewline, not "\n": a CRLF file's "\r\n" is one Character, which a split on "\n" never finds.
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmed(" \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw ProbeError("\(file):\(index + 1): expected FAMILY RECIPIENT")
            }
            var recipient = String(line[space...]).trimmed(" \t")
            if recipient.contains("{literal}") {
                guard let literal else { throw ProbeError("\(file):\(index + 1): {literal} needs the server's address, which is not known yet") }
                recipient = recipient.replacingOccurrences(of: "{literal}", with: literal)
            }
            recipient = recipient.replacingOccurrences(of: "{domain}", with: domain).replacingOccurrences(of: "{target}", with: target)
                .replacingOccurrences(of: "{user}", with: user).replacingOccurrences(of: "{target_domain}", with: targetDomain)
            guard !ProbeForm.hasLineBreakOrNUL(recipient) else {
                throw ProbeError("\(file):\(index + 1): a recipient cannot contain CR, LF or NUL")
            }
            forms.append(ProbeForm(family: String(line[..<space]), recipient: recipient))
        }
        return forms
    }

    /// CR, LF or NUL anywhere, judged on bytes: a CR LF pair is one Character and equals neither "\r" nor "\n".
    public static func hasLineBreakOrNUL(_ text: String) -> Bool {
        text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
    }

    static func split(_ address: String) -> (user: String, domain: String) {
        guard let at = address.lastIndex(of: "@") else { return (address, "") }
        return (String(address[..<at]), String(address[address.index(after: at)...]))
    }
}

/// Exchange's IMCEA encoding (MS-OXCMAIL 2.1.3.1.8): letters, digits and `!#$%&'*-=?^`{|}~` stay, `/` becomes `_`,
/// anything else `+HH`.
enum IMCEAText {
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/"):
                out += "_"
            default:
                if "!#$%&'*-=?^`{|}~".utf8.contains(byte) {
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    let hex = Array("0123456789ABCDEF".utf8)
                    out += "+" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
                }
            }
        }
        return out
    }
}

/// A probe that could not start: bad arguments or forms file.
public struct ProbeError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension StringProtocol {
    func trimmed(_ characters: String) -> String {
        var text = Substring(self)
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
