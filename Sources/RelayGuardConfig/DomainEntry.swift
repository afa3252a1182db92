import RelayPolicy

/// What a domain entry in `local_domains` (or the domain of a `local_recipients` address) may be. An entry that
/// cannot be a domain never matches a recipient, and a never-matching local domain silently turns local mail into
/// relay attempts; so it is an error that says what to write instead.
enum DomainEntry {
    /// Why `entry` can never match, with what to write instead; nil for a usable entry. `allowsSubdomains` permits
    /// the leading dot that `local_domains` reads as "and its subdomains".
    static func problem(_ entry: Substring, allowsSubdomains: Bool = true) -> String? {
        let dotted = allowsSubdomains ? " (a leading dot means the subdomains)" : ""
        if entry.hasPrefix("*.") || entry.hasPrefix("*") {
            let rest = entry.drop { $0 == "*" }
            let suggestion = allowsSubdomains ? (rest.hasPrefix(".") ? String(rest) : "." + rest) : String(rest.drop { $0 == "." })
            return "\"\(entry)\" never matches: there are no wildcards; write \"\(suggestion)\"\(dotted)"
        }
        let utf8 = entry.utf8
        if let at = utf8.lastIndex(of: UInt8(ascii: "@")) {
            let domain = Substring(utf8[utf8.index(after: at)...])
            let address = at == utf8.startIndex ? "" : ", and the address in local_recipients"
            return "\"\(entry)\" never matches: a domain has no @; write \"\(domain)\"\(address)"
        }
        if let slash = utf8.firstIndex(of: UInt8(ascii: "/")) {
            return "\"\(entry)\" never matches: a domain takes no prefix length; write \"\(Substring(utf8[..<slash]))\""
        }
        if entry.hasPrefix("["), entry.hasSuffix("]") {
            // An address literal, as a recipient's domain can be: `[192.0.2.1]`, `[IPv6:2001:db8::1]`.
            var inner = entry.dropFirst().dropLast()
            if inner.lowercased().hasPrefix("ipv6:") { inner = inner.dropFirst(5) }
            return IPAddress(String(inner)) == nil ? "\"\(entry)\" is not an address literal such as [192.0.2.1] or [IPv6:2001:db8::1]" : nil
        }
        var name = entry.utf8[...]
        if allowsSubdomains, name.first == UInt8(ascii: ".") { name = name.dropFirst() }
        if name.count > 1, name.last == UInt8(ascii: ".") { name = name.dropLast() }
        let labels = name.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let valid = !name.isEmpty && labels.allSatisfy { label in
            !label.isEmpty && label.allSatisfy { byte in
                // Non-ASCII is UTF-8 of an internationalised name, which SMTPUTF8 recipients carry as is.
                byte >= 0x80 || (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "0") < 10
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }
        return valid ? nil : "\"\(entry)\" is not a domain name (letters, digits, - and _, between single dots)\(dotted)"
    }
}

extension ConfigValue {
    /// `local_domains`: each entry checked, an entry that can never match reported at its own `file:line`.
    func domains(_ diagnostics: inout [ConfigDiagnostic]) -> [String] {
        var domains: [String] = []
        for item in list(&diagnostics) {
            if let problem = DomainEntry.problem(item.text) {
                diagnostics.append(ConfigDiagnostic(file: item.file, line: item.line, message: "\(key): \(problem)"))
            } else {
                domains.append(String(item.text))
            }
        }
        return domains
    }
}
