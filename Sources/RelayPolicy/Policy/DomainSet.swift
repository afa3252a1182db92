/// `local_domains`: names, where a leading dot means subdomains too (`.corp.example` matches `a.corp.example`).
/// Matching is case-insensitive and ignores one trailing dot.
public struct DomainSet: Sendable, Equatable {
    private var exact: Set<String> = []
    private var parents: Set<String> = []  // stored without the leading dot
    /// Byte-level copies of `exact` and `parents` for ASCII lookups; nil when an entry is not ASCII.
    private var asciiExact: ASCIINameTable?
    private var asciiParents: ASCIINameTable?

    public init(_ entries: some Sequence<String>) {
        for entry in entries {
            let name = Self.normalize(entry)
            if name.hasPrefix(".") { parents.insert(String(name.dropFirst())) } else { exact.insert(name) }
        }
        if let exactTable = ASCIINameTable(exact), let parentTable = ASCIINameTable(parents) {
            asciiExact = exactTable
            asciiParents = parentTable
        }
    }

    public var isEmpty: Bool { exact.isEmpty && parents.isEmpty }

    /// True when `domain` is listed, or is a subdomain of a dotted entry.
    public func contains(_ domain: String) -> Bool {
        if let asciiExact, let asciiParents {
            var domain = domain
            let answer = domain.withUTF8 { bytes -> Bool? in
                guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
                return Self.contains(bytes, exact: asciiExact, parents: asciiParents, checkParents: !parents.isEmpty)
            }
            if let answer { return answer }
        }
        let name = Self.normalize(domain)
        if exact.contains(name) { return true }
        guard !parents.isEmpty else { return false }
        var rest = Substring(name)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if parents.contains(String(rest)) { return true }
        }
        return false
    }

    /// The ASCII path of `contains`: the same steps as the String path, on bytes, lowercasing as it compares.
    private static func contains(
        _ bytes: UnsafeBufferPointer<UInt8>,
        exact: ASCIINameTable,
        parents: ASCIINameTable,
        checkParents: Bool
    ) -> Bool {
        let end = bytes.count > 1 && bytes[bytes.count - 1] == UInt8(ascii: ".") ? bytes.count - 1 : bytes.count
        let name = UnsafeBufferPointer(rebasing: bytes[..<end])
        if exact.contains(name) { return true }
        guard checkParents else { return false }
        for index in 0..<name.count where name[index] == UInt8(ascii: ".") {
            if parents.contains(UnsafeBufferPointer(rebasing: name[(index + 1)...])) { return true }
        }
        return false
    }

    static func normalize(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") && lower.count > 1 ? String(lower.dropLast()) : lower
    }

    public static func == (lhs: DomainSet, rhs: DomainSet) -> Bool {
        lhs.exact == rhs.exact && lhs.parents == rhs.parents
    }
}
