/// `local_domains`: names, where a leading dot means subdomains too (`.corp.example` matches `a.corp.example`).
/// Matching is case-insensitive and ignores one trailing dot.
///
/// One rule, on bytes (`NameKey`, `NameTable`): a name is cut at `.` bytes, which in UTF-8 are never part of another
/// character, so a dot followed by a combining mark still separates labels, as it does for the DNS and Postfix.
public struct DomainSet: Sendable, Equatable {
    private let exact: NameTable
    /// Stored without the leading dot.
    private let parents: NameTable

    public init(_ entries: some Sequence<String>) {
        var exact: [[UInt8]] = []
        var parents: [[UInt8]] = []
        for entry in entries {
            let name = NameKey.canonical(entry).withUnsafeBufferPointer { Array(NameKey.droppingTrailingDot($0)) }
            if name.first == UInt8(ascii: ".") { parents.append(Array(name.dropFirst())) } else { exact.append(name) }
        }
        self.exact = NameTable(exact)
        self.parents = NameTable(parents)
    }

    public var isEmpty: Bool { exact.isEmpty && parents.isEmpty }

    /// True when `domain` is listed, or is a subdomain of a dotted entry.
    public func contains(_ domain: String) -> Bool {
        NameKey.withCanonicalBytes(domain) { bytes in
            let name = NameKey.droppingTrailingDot(bytes)
            if exact.contains(name) { return true }
            guard !parents.isEmpty else { return false }
            for index in 0..<name.count where name[index] == UInt8(ascii: ".") {
                if parents.contains(UnsafeBufferPointer(rebasing: name[(index + 1)...])) { return true }
            }
            return false
        }
    }
}
