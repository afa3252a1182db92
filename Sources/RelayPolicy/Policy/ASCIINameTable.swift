/// A set of lowercase ASCII names, looked up straight from UTF-8 bytes without case.
///
/// `DomainSet` and `RecipientSet` are asked on every RCPT; with `Set<String>` each ask lowercased the name into a new
/// String and built one more String per parent domain tried. Here a lookup hashes and compares the caller's bytes in
/// place. Only ASCII is handled: String equality is Unicode canonical equivalence, which equals byte equality only
/// when both sides are ASCII, so the sets keep their `Set<String>` for anything else.
struct ASCIINameTable: Sendable {
    private struct Slot: Sendable {
        /// The name's full hash; 0 marks an empty slot (a real hash of 0 is stored as 1).
        var hash: UInt32 = 0
        var start: UInt32 = 0
        var count: UInt32 = 0
    }

    /// Every name's bytes, back to back.
    private var bytes: [UInt8] = []
    /// Open addressing, a power of two at most half full.
    private var slots: [Slot] = []

    /// Builds the table from `names`, which must be lowercase ASCII; nil when one is not.
    init?(_ names: some Sequence<String>) {
        var unique = Set<[UInt8]>()
        for name in names {
            let bytes = Array(name.utf8)
            guard bytes.allSatisfy({ $0 < 0x80 && !ASCII.isUpper($0) }) else { return nil }
            unique.insert(bytes)
        }
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

    /// Whether `query`, ASCII-lowercased, is one of the names. Bytes outside ASCII simply never match.
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
