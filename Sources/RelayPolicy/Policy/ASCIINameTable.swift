/// A set of lowercase ASCII names, looked up straight from UTF-8 bytes without case.
///
/// `DomainSet` and `RecipientSet` are asked on every RCPT; with `Set<String>` each ask lowercased the name into a new
/// String and built one more String per parent domain tried. Here a lookup hashes and compares the caller's bytes in
/// place. Only ASCII is handled: String equality is Unicode canonical equivalence, which equals byte equality only
/// when both sides are ASCII, so the sets keep their `Set<String>` for anything else.
struct ASCIINameTable: Sendable {
    private var names: [[UInt8]] = []
    /// Open addressing, a power of two at most half full; -1 is an empty slot, anything else indexes `names`.
    private var slots: [Int32] = []

    /// Builds the table from `names`, which must be lowercase ASCII; nil when one is not.
    init?(_ names: some Sequence<String>) {
        var unique = Set<[UInt8]>()
        for name in names {
            let bytes = Array(name.utf8)
            guard bytes.allSatisfy({ $0 < 0x80 && !ASCII.isUpper($0) }) else { return nil }
            unique.insert(bytes)
        }
        self.names = Array(unique)
        var capacity = 8
        while capacity < self.names.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        for (index, name) in self.names.enumerated() {
            var slot = name.withUnsafeBufferPointer { Self.hash($0) } & (capacity - 1)
            while slots[slot] >= 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Int32(index)
        }
        self.slots = slots
    }

    /// Whether `bytes`, ASCII-lowercased, is one of the names. Bytes outside ASCII simply never match.
    func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !names.isEmpty else { return false }
        let mask = slots.count - 1
        var slot = Self.hash(bytes) & mask
        while true {
            let index = slots[slot]
            if index < 0 { return false }
            let matches = names[Int(index)].withUnsafeBufferPointer { name in
                guard name.count == bytes.count else { return false }
                for offset in 0..<name.count where ASCII.lowercased(bytes[offset]) != name[offset] { return false }
                return true
            }
            if matches { return true }
            slot = (slot + 1) & mask
        }
    }

    /// FNV-1a over the lowercased bytes. The names come from the admin's config, so a client cannot fill the table
    /// with colliding entries; it can only pick which slot its lookup starts at.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(ASCII.lowercased(byte))) &* 0x0000_0100_0000_01B3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 32))
    }
}
