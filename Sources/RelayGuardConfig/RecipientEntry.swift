/// The entries of `local_recipients` and `recipient_delimiter`, checked as `local_domains` entries are.
extension ConfigValue {
    /// `local_recipients`: an address needs a local part, and its domain must be one a recipient can have.
    func recipients(_ diagnostics: inout [ConfigDiagnostic]) -> [String] {
        var recipients: [String] = []
        for item in list(&diagnostics) {
            var problem: String?
            // The @ byte, as RecipientSet splits an entry (an @ followed by a combining mark is one Character).
            let utf8 = item.text.utf8
            if let at = utf8.lastIndex(of: UInt8(ascii: "@")) {
                if at == utf8.startIndex {
                    problem = "\"\(item.text)\" never matches: an entry is an address or a bare local part, and there is no catch-all"
                } else if let domainProblem = DomainEntry.problem(Substring(utf8[utf8.index(after: at)...]), allowsSubdomains: false) {
                    problem = "in \"\(item.text)\": \(domainProblem)"
                }
            }
            if let problem {
                diagnostics.append(ConfigDiagnostic(file: item.file, line: item.line, message: "\(key): \(problem)"))
            } else {
                recipients.append(String(item.text))
            }
        }
        return recipients
    }

    /// `recipient_delimiter`: a set of ASCII characters written together, as in Postfix (`+`, `+-`).
    func recipientDelimiters(_ diagnostics: inout [ConfigDiagnostic]) -> String? {
        guard let bad = text.unicodeScalars.first(where: { !$0.isASCII || $0 == " " || $0 == "\t" || $0 == "@" }) else {
            return text
        }
        let what = bad == "@" ? "@ separates the domain" : bad.isASCII ? "white space" : "\"\(bad)\" is not ASCII"
        diagnostics.append(diagnostic("expected delimiter characters written together, such as + or +-, got \"\(text)\" (\(what))"))
        return nil
    }
}
