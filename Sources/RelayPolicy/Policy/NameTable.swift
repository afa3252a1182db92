/// A set of names in canonical form (see `NameKey`), looked up straight from UTF-8 bytes.
///
/// `DomainSet` and `RecipientSet` are asked on every RCPT; with `Set<String>` each ask lowercased the name into a new
/// String and built one more String per parent domain tried. Here a lookup hashes and compares the caller's bytes in
/// place, lowercasing ASCII as it goes, so an ASCII query costs no allocation. A query with any non-ASCII byte must
/// be put in canonical form first (`NameKey.withCanonicalBytes`); its ASCII bytes are then lowercase already.
struct NameTable: Sendable, Equatable {
    private struct Slot: Sendable, Equatable {
        /// The name's full hash; 0 marks an empty slot (a real hash of 0 is stored as 1).
        var hash: UInt32 = 0
        var start: UInt32 = 0
        var count: UInt32 = 0
    }

    /// The names, each once; equality compares these.
    private let names: Set<[UInt8]>
    /// Every name's bytes, back to back.
    private var bytes: [UInt8] = []
    /// Open addressing, a power of two at most half full.
    private var slots: [Slot] = []

    /// Builds the table from names, each in canonical form (`NameKey.canonical`).
    init(_ names: some Sequence<[UInt8]>) {
        let unique = Set(names)
        self.names = unique
        var capacity = 8
        while capacity < unique.count * 2 { capacity *= 2 }
        var slots = [Slot](repeating: Slot(), count: capacity)
        for name in unique {
            let hash = name.withUnsafeBufferPointer { Self.hash($0) }
            var index = Int(hash) & (capacity - 1)
            while slots[index].hash != 0 { index = (index + 1) & (capacity - 1) }
            slots[index] = Slot(hash: hash, start: UInt32(bytes.count), count: UInt32(name.count))
            bytes.append(contentsOf: name)
        }
        self.slots = slots
    }

    var isEmpty: Bool { names.isEmpty }

    /// Whether `query`, ASCII-lowercased, is one of the names.
    func contains(_ query: UnsafeBufferPointer<UInt8>) -> Bool {
        let hash = Self.hash(query)
        return slots.withUnsafeBufferPointer { slots in
            bytes.withUnsafeBufferPointer { bytes in
                let mask = slots.count - 1
                var index = Int(hash) & mask
                while true {
                    let slot = slots[index]
                    if slot.hash == 0 { return false }
                    if slot.hash == hash, Int(slot.count) == query.count {
                        var offset = 0
                        let start = Int(slot.start)
                        while offset < query.count, ASCII.lowercased(query[offset]) == bytes[start + offset] { offset += 1 }
                        if offset == query.count { return true }
                    }
                    index = (index + 1) & mask
                }
            }
        }
    }

    static func == (lhs: NameTable, rhs: NameTable) -> Bool { lhs.names == rhs.names }

    /// FNV-1a over the lowercased bytes, never 0. The names come from the admin's config, so a client cannot fill
    /// the table with colliding entries; it can only pick which slot its lookup starts at.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in bytes {
            hash = (hash ^ UInt32(ASCII.lowercased(byte))) &* 0x0100_0193
        }
        return hash == 0 ? 1 : hash
    }
}

/// The one form names are compared in: case-insensitive, and canonically equivalent spellings equal, which is what
/// `String.lowercased()` and String equality gave when the sets were `Set<String>`.
enum NameKey {
    /// `name` lowercased, in NFC: ASCII bytes lowercased, anything else through `String.lowercased()` and the
    /// standard library's own NFC (`_nfcCodeUnits`, what String equality and hashing compare; RelayPolicy imports
    /// no Foundation).
    static func canonical(_ name: some StringProtocol) -> [UInt8] {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return name.utf8.map(ASCII.lowercased) }
        return String(name).lowercased()._nfcCodeUnits
    }

    /// Calls `body` with bytes of `name` that `NameTable.contains` can take: an ASCII name as it is (the table
    /// lowercases as it compares), without a copy; any other name in canonical form.
    @inline(__always)
    static func withCanonicalBytes<Result>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        var copy = name
        return copy.withUTF8 { bytes in
            if !bytes.contains(where: { $0 >= 0x80 }) { return body(bytes) }
            return canonical(name).withUnsafeBufferPointer(body)
        }
    }

    /// A name without one trailing dot, unless the dot is the whole name (`corp.example.` is `corp.example`).
    static func droppingTrailingDot(_ name: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        name.count > 1 && name[name.count - 1] == UInt8(ascii: ".") ? UnsafeBufferPointer(rebasing: name[..<(name.count - 1)]) : name
    }
}
