/// `local_domains`: names, where a leading dot means subdomains too (`.corp.example` matches `a.corp.example`).
/// Matching is case-insensitive and ignores one trailing dot.
public struct DomainSet: Sendable, Equatable {
    private var exact: Set<String> = []
    private var parents: Set<String> = []  // stored without the leading dot

    public init(_ entries: some Sequence<String>) {
        for entry in entries {
            let name = Self.normalize(entry)
            if name.hasPrefix(".") { parents.insert(String(name.dropFirst())) } else { exact.insert(name) }
        }
    }

    public var isEmpty: Bool { exact.isEmpty && parents.isEmpty }

    /// True when `domain` is listed, or is a subdomain of a dotted entry.
    public func contains(_ domain: String) -> Bool {
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

    static func normalize(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") && lower.count > 1 ? String(lower.dropLast()) : lower
    }
}

/// `local_recipients`: full addresses (`alice@corp.example`), or bare local parts (`postmaster`) that match in every
/// local domain. Case-insensitive.
public struct RecipientSet: Sendable, Equatable {
    private var addresses: Set<String> = []
    private var localParts: Set<String> = []

    public init(_ entries: some Sequence<String>) {
        for entry in entries {
            let lower = entry.lowercased()
            if lower.contains("@") { addresses.insert(lower) } else { localParts.insert(lower) }
        }
    }

    public func contains(localPart: String, domain: String) -> Bool {
        let local = localPart.lowercased()
        return localParts.contains(local) || addresses.contains(local + "@" + DomainSet.normalize(domain))
    }
}
