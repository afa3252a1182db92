/// `local_recipients`: full addresses (`alice@corp.example`), or bare local parts (`postmaster`) that match in every
/// local domain. Case-insensitive.
public struct RecipientSet: Sendable, Equatable {
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
        lhs.addresses == rhs.addresses && lhs.localParts == rhs.localParts
    }
}
