/// `local_recipients`: full addresses (`alice@corp.example`), or bare local parts (`postmaster`) that match in every
/// local domain. Case-insensitive. With `delimiters` (Postfix's `recipient_delimiter`), an address with an extension
/// (`alice+tag`) is also looked up without it (`alice`), as Postfix looks up a recipient.
public struct RecipientSet: Sendable, Equatable {
    /// The characters that separate a local part from its extension, ASCII only; empty (Postfix's default) is none.
    public var delimiters: String = ""
    private var addresses: Set<String> = []
    private var localParts: Set<String> = []
    /// Byte-level copies of the two sets for ASCII lookups; nil when an entry is not ASCII.
    private var asciiAddresses: ASCIINameTable?
    private var asciiLocalParts: ASCIINameTable?

    public init(_ entries: some Sequence<String>) {
        for entry in entries {
            let lower = entry.lowercased()
            if lower.contains("@") { addresses.insert(lower) } else { localParts.insert(lower) }
        }
        if let addressTable = ASCIINameTable(addresses), let localPartTable = ASCIINameTable(localParts) {
            asciiAddresses = addressTable
            asciiLocalParts = localPartTable
        }
    }

    public func contains(localPart: String, domain: String) -> Bool {
        if containsExactly(localPart: localPart, domain: domain) { return true }
        guard !delimiters.isEmpty, let base = Self.base(of: localPart, delimiters: delimiters) else { return false }
        return containsExactly(localPart: base, domain: domain)
    }

    /// The local part without its extension, as Postfix's `split_addr` cuts it: at the first delimiter character,
    /// unless that is the first character or none is found; `postmaster`, `mailer-daemon` and `double-bounce` are
    /// never cut, nor (when `-` is a delimiter, with Postfix's default `owner_request_special = yes`) `owner-*` and
    /// `*-request`. nil when nothing is cut. The delimiters are ASCII, so a byte search finds only whole characters.
    static func base(of localPart: String, delimiters: String) -> String? {
        let lower = localPart.lowercased()
        if lower == "postmaster" || lower == "mailer-daemon" || lower == "double-bounce" { return nil }
        let set = delimiters.utf8
        if set.contains(UInt8(ascii: "-")), lower.hasPrefix("owner-") || (lower.utf8.count > 8 && lower.hasSuffix("-request")) {
            return nil
        }
        let utf8 = localPart.utf8
        guard let cut = utf8.firstIndex(where: { set.contains($0) }), cut != utf8.startIndex else { return nil }
        return String(localPart[..<cut])
    }

    private func containsExactly(localPart: String, domain: String) -> Bool {
        if let asciiAddresses, let asciiLocalParts, let answer = Self.asciiContains(
            localPart: localPart, domain: domain, addresses: asciiAddresses, localParts: asciiLocalParts
        ) {
            return answer
        }
        let local = localPart.lowercased()
        return localParts.contains(local) || addresses.contains(local + "@" + DomainSet.normalize(domain))
    }

    /// The ASCII path of `contains`, nil when either part is not ASCII. `local@domain` is assembled on the stack.
    private static func asciiContains(
        localPart: String,
        domain: String,
        addresses: ASCIINameTable,
        localParts: ASCIINameTable
    ) -> Bool? {
        var localPart = localPart
        var domain = domain
        return localPart.withUTF8 { local -> Bool? in
            guard !local.contains(where: { $0 >= 0x80 }) else { return nil }
            if localParts.contains(local) { return true }
            return domain.withUTF8 { domain -> Bool? in
                guard !domain.contains(where: { $0 >= 0x80 }) else { return nil }
                // DomainSet.normalize: one trailing dot goes, unless it is the whole name.
                let domainCount = domain.count > 1 && domain[domain.count - 1] == UInt8(ascii: ".") ? domain.count - 1 : domain.count
                let total = local.count + 1 + domainCount
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { buffer in
                    _ = buffer.initialize(fromContentsOf: local)
                    buffer[local.count] = UInt8(ascii: "@")
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[(local.count + 1)...])
                        .initialize(fromContentsOf: domain[..<domainCount])
                    return addresses.contains(UnsafeBufferPointer(buffer))
                }
            }
        }
    }

    public static func == (lhs: RecipientSet, rhs: RecipientSet) -> Bool {
        lhs.addresses == rhs.addresses && lhs.localParts == rhs.localParts && Set(lhs.delimiters.utf8) == Set(rhs.delimiters.utf8)
    }
}
