/// `local_recipients`: full addresses (`alice@corp.example`), or bare local parts (`postmaster`) that match in every
/// local domain. Case-insensitive. With `delimiters` (Postfix's `recipient_delimiter`), an address with an extension
/// (`alice+tag`) is also looked up without it (`alice`), as Postfix looks up a recipient.
///
/// One rule, on bytes, as `DomainSet`: `local@domain` is assembled from the canonical bytes of both parts (the domain
/// without one trailing dot) and looked up in place.
public struct RecipientSet: Sendable, Equatable {
    /// The characters that separate a local part from its extension, ASCII only; empty (Postfix's default) is none.
    public var delimiters: String = ""
    private let addresses: NameTable
    private let localParts: NameTable

    public init(_ entries: some Sequence<String>) {
        var addresses: [[UInt8]] = []
        var localParts: [[UInt8]] = []
        for entry in entries {
            let name = NameKey.canonical(entry)
            if name.contains(UInt8(ascii: "@")) { addresses.append(name) } else { localParts.append(name) }
        }
        self.addresses = NameTable(addresses)
        self.localParts = NameTable(localParts)
    }

    public func contains(localPart: String, domain: String) -> Bool {
        NameKey.withCanonicalBytes(localPart) { local in
            NameKey.withCanonicalBytes(domain) { domain in
                let domain = NameKey.droppingTrailingDot(domain)
                if containsExactly(local, domain) { return true }
                guard !delimiters.isEmpty, let cut = Self.extensionStart(local, delimiters: delimiters) else { return false }
                return containsExactly(UnsafeBufferPointer(rebasing: local[..<cut]), domain)
            }
        }
    }

    /// `local@domain` is assembled on the stack.
    private func containsExactly(_ local: UnsafeBufferPointer<UInt8>, _ domain: UnsafeBufferPointer<UInt8>) -> Bool {
        if localParts.contains(local) { return true }
        let total = local.count + 1 + domain.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: total) { buffer in
            _ = buffer.initialize(fromContentsOf: local)
            buffer[local.count] = UInt8(ascii: "@")
            _ = UnsafeMutableBufferPointer(rebasing: buffer[(local.count + 1)...]).initialize(fromContentsOf: domain)
            return addresses.contains(UnsafeBufferPointer(buffer))
        }
    }

    /// Where Postfix's `split_addr` cuts the local part: at the first delimiter character, unless that is the first
    /// character or none is found; `postmaster`, `mailer-daemon` and `double-bounce` are never cut, nor (when `-` is
    /// a delimiter, with Postfix's default `owner_request_special = yes`) `owner-*` and `*-request`. nil when
    /// nothing is cut. The delimiters are ASCII, so a byte search finds only whole characters.
    static func extensionStart(_ local: UnsafeBufferPointer<UInt8>, delimiters: String) -> Int? {
        func equals(_ bytes: some Collection<UInt8>, _ text: StaticString) -> Bool {
            bytes.count == text.utf8CodeUnitCount
                && zip(bytes, UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)).allSatisfy { ASCII.lowercased($0) == $1 }
        }
        if equals(local, "postmaster") || equals(local, "mailer-daemon") || equals(local, "double-bounce") { return nil }
        let set = delimiters.utf8
        if set.contains(UInt8(ascii: "-")),
           (local.count >= 6 && equals(local.prefix(6), "owner-")) || (local.count > 8 && equals(local.suffix(8), "-request")) {
            return nil
        }
        guard let cut = local.firstIndex(where: { set.contains($0) }), cut > 0 else { return nil }
        return cut
    }

    public static func == (lhs: RecipientSet, rhs: RecipientSet) -> Bool {
        lhs.addresses == rhs.addresses && lhs.localParts == rhs.localParts && Set(lhs.delimiters.utf8) == Set(rhs.delimiters.utf8)
    }
}
