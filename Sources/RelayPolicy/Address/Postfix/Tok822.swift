/// Postfix's RFC 822 token list (`tok822`): the tokenizer, the right-to-left parser that groups addresses, and the
/// list operations the resolver rewrites with. Nodes live in an arena and link by index, as Postfix's `TOK822`
/// structures link by pointer, so the algorithms read as Postfix's do. Written from Postfix's
/// `src/global/tok822_{parse,tree}.c`; not a copy.
struct Tok822 {
    // Node types: an operator is its byte; the rest are Postfix's TOK822_* numbers.
    static let atom = 256
    static let quoted = 257
    static let comment = 258
    static let domainLiteral = 259
    static let address = 260
    static let startGroup = 261
    static let none = -1

    private(set) var type: [Int] = []
    var text: [[UInt8]] = []
    private var prev: [Int] = []
    private var next: [Int] = []
    private var owner: [Int] = []
    private var head: [Int] = []
    private var tail: [Int] = []

    func prevOf(_ node: Int) -> Int { prev[node] }
    func nextOf(_ node: Int) -> Int { next[node] }
    func headOf(_ node: Int) -> Int { head[node] }
    func tailOf(_ node: Int) -> Int { tail[node] }
    mutating func setType(_ node: Int, _ value: Int) { type[node] = value }
    mutating func setHead(_ node: Int, _ value: Int) { head[node] = value }
    mutating func setTail(_ node: Int, _ value: Int) { tail[node] = value }

    mutating func alloc(_ kind: Int, _ bytes: [UInt8] = []) -> Int {
        type.append(kind); text.append(bytes); prev.append(Self.none); next.append(Self.none)
        owner.append(Self.none); head.append(Self.none); tail.append(Self.none)
        return type.count - 1
    }

    // MARK: - List operations (tok822_tree.c)

    /// Inserts the chain starting at `t2` after `t1`; answers the last node of that chain.
    @discardableResult
    mutating func append(_ t1: Int, _ t2: Int) -> Int {
        let after = next[t1]
        next[t1] = t2
        prev[t2] = t1
        owner[t2] = owner[t1]
        var last = t2
        while next[last] != Self.none { last = next[last]; owner[last] = owner[t1] }
        next[last] = after
        if after != Self.none { prev[after] = last }
        return last
    }

    /// Inserts the chain starting at `t2` before `t1`; answers the last node of that chain.
    @discardableResult
    mutating func prepend(_ t1: Int, _ t2: Int) -> Int {
        let before = prev[t1]
        if before != Self.none { next[before] = t2 }
        prev[t2] = before
        owner[t2] = owner[t1]
        var last = t2
        while next[last] != Self.none { last = next[last]; owner[last] = owner[t1] }
        next[last] = t1
        prev[t1] = last
        return last
    }

    @discardableResult
    mutating func cutBefore(_ node: Int) -> Int {
        let before = prev[node]
        if before != Self.none { next[before] = Self.none; prev[node] = Self.none }
        return before
    }

    @discardableResult
    mutating func cutAfter(_ node: Int) -> Int {
        let after = next[node]
        if after != Self.none { prev[after] = Self.none; next[node] = Self.none }
        return after
    }

    /// Takes `node` out of its list; answers the node before it.
    mutating func unlink(_ node: Int) -> Int {
        let before = prev[node], after = next[node]
        if before != Self.none { next[before] = after }
        if after != Self.none { prev[after] = before }
        prev[node] = Self.none; next[node] = Self.none
        return before
    }

    @discardableResult
    mutating func subAppend(_ group: Int, _ chain: Int) -> Int {
        if head[group] != Self.none {
            tail[group] = append(tail[group], chain)
        } else {
            head[group] = chain
            var last = chain
            owner[last] = group
            while next[last] != Self.none { last = next[last]; owner[last] = group }
            tail[group] = last
        }
        return tail[group]
    }

    mutating func subPrepend(_ group: Int, _ chain: Int) {
        if head[group] != Self.none {
            prepend(head[group], chain)
            head[group] = chain
        } else {
            _ = subAppend(group, chain)
        }
    }

    /// Keeps the group's nodes before `node`; `node` and what follows leave the group.
    mutating func subKeepBefore(_ group: Int, _ node: Int) {
        tail[group] = cutBefore(node)
        if tail[group] == Self.none { head[group] = Self.none }
    }

    /// Keeps the group's nodes after `node`; `node` and what precedes leave the group.
    mutating func subKeepAfter(_ group: Int, _ node: Int) {
        head[group] = cutAfter(node)
        if head[group] == Self.none { tail[group] = Self.none }
    }

    func findForward(_ from: Int, _ kind: Int) -> Int {
        var node = from
        while node != Self.none, type[node] != kind { node = next[node] }
        return node
    }

    func findBackward(_ from: Int, _ kind: Int) -> Int {
        var node = from
        while node != Self.none, type[node] != kind { node = prev[node] }
        return node
    }

    // MARK: - Tokenizer (tok822_scan)

    static func isSpaceTabCRLF(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    /// `|%!` and RFC 822's specials.
    static func isOperator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "|"), UInt8(ascii: "%"), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: ":"), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "."), UInt8(ascii: "["),
             UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }

    /// Tokenizes `input` into a chain; answers its first and last nodes (`none` when there are no tokens).
    mutating func scan(_ input: [UInt8]) -> (first: Int, last: Int) {
        var first = Self.none, last = Self.none
        var index = 0
        // Postfix's COLLECT: a backslash takes the next byte whatever it is; white space becomes one space.
        func collect(into bytes: inout [UInt8], _ keep: (UInt8) -> Bool) {
            while index < input.count {
                var byte = input[index]
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < input.count else { break }
                    byte = input[index]
                } else if !keep(byte) {
                    break
                }
                bytes.append(Self.isSpaceTabCRLF(byte) ? 0x20 : byte)
                index += 1
            }
        }
        while index < input.count {
            let byte = input[index]
            index += 1
            if Self.isSpaceTabCRLF(byte) { continue }
            let node: Int
            if byte == UInt8(ascii: "(") {
                var bytes: [UInt8] = [byte]
                var level = 1
                while index < input.count {
                    let c = input[index]
                    bytes.append(c)
                    index += 1
                    if c == UInt8(ascii: "(") {
                        level += 1
                    } else if c == UInt8(ascii: ")") {
                        level -= 1
                        if level == 0 { break }
                    } else if c == UInt8(ascii: "\\") {
                        guard index < input.count else { break }
                        bytes.append(input[index])
                        index += 1
                    }
                }
                node = alloc(Self.comment, bytes)
            } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "\"") {
                let close = byte == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "\"")
                var bytes: [UInt8] = []
                collect(into: &bytes) { $0 != close }
                if index < input.count { index += 1 }
                node = alloc(byte == UInt8(ascii: "[") ? Self.domainLiteral : Self.quoted, bytes)
            } else if byte != UInt8(ascii: "\\") && Self.isOperator(byte) {
                node = alloc(Int(byte))
            } else {
                index -= 1
                var bytes: [UInt8] = []
                collect(into: &bytes) { !Self.isSpaceTabCRLF($0) && !Self.isOperator($0) }
                // An atom that holds what an atom cannot (escaped) is a quoted string; 8-bit bytes are left alone.
                let needsQuotes = bytes.contains { $0 == 0x20 || $0 < 0x20 || $0 == 0x7F || Self.isOperator($0) }
                node = alloc(needsQuotes ? Self.quoted : Self.atom, bytes)
            }
            if first == Self.none { first = node; last = node } else { last = append(last, node) }
        }
        return (first, last)
    }

    /// `tok822_scan_addr`: an address node whose children are the tokens of `input`, unowned as Postfix leaves them.
    mutating func scanAddress(_ input: [UInt8]) -> Int {
        let tree = alloc(Self.address)
        let (first, last) = scan(input)
        head[tree] = first
        tail[tree] = last
        return tree
    }

    // MARK: - Parser (tok822_parse)

    private static let doWord = 1
    private static let doGroup = 2

    /// Clusters the nodes strictly between `left` and `right` under a new address node; with `addComma`, a `,`
    /// follows `left`. Answers `left`.
    @discardableResult
    private mutating func group(_ left: Int, _ right: Int, addComma: Bool) -> Int {
        let first = next[left]
        if left != right, first != right {
            cutBefore(right)
            cutBefore(first)
            let node = alloc(Self.address)
            subAppend(node, first)
            append(left, node)
            append(node, right)
            if addComma { append(left, alloc(Int(UInt8(ascii: ",")))) }
        }
        return left
    }

    /// Parses `input` into top-level nodes with addresses grouped; answers the first top-level node.
    mutating func parse(_ input: [UInt8]) -> Int {
        let (first, last) = scan(input)
        guard first != Self.none else { return Self.none }
        let sentinelHead = alloc(0), sentinelTail = alloc(0)
        next[sentinelHead] = first; prev[first] = sentinelHead
        next[last] = sentinelTail; prev[sentinelTail] = last

        var state = Self.doWord
        var right = sentinelTail
        var node = prev[sentinelTail]
        while type[node] != 0 {
            let kind = type[node]
            if kind == Self.comment {
                // Comments move out of the way, to the right of what is being collected.
                let before = unlink(node)
                right = prepend(right, node)
                node = before
                continue
            } else if kind == Int(UInt8(ascii: ";")) {
                right = group(node, right, addComma: true)
                state = Self.doGroup | Self.doWord
            } else if kind == Int(UInt8(ascii: ":")) && state & Self.doGroup != 0 {
                type[node] = Self.startGroup
                group(node, right, addComma: false)
                while type[node] != 0 && type[node] != Int(UInt8(ascii: ",")) { node = prev[node] }
                right = node
                continue
            } else if kind == Int(UInt8(ascii: ">")) {
                right = group(node, right, addComma: true)
                while type[node] != 0 && type[node] != Int(UInt8(ascii: "<")) {
                    if type[node] == Self.comment {
                        let before = unlink(node)
                        right = prepend(right, node)
                        node = before
                        continue
                    }
                    node = prev[node]
                }
                group(node, right, addComma: false)
                while type[node] != 0 && (type[node] > 0xFF || !">;,:".utf8.contains(UInt8(type[node]))) {
                    node = prev[node]
                }
                right = node
                state |= Self.doWord
                continue
            } else if kind == Self.atom || kind == Self.quoted || kind == Self.domainLiteral {
                if state & Self.doWord == 0 { right = next[group(node, right, addComma: true)] }
                state &= ~Self.doWord
            } else if kind == Int(UInt8(ascii: ",")) {
                right = group(node, right, addComma: false)
                state |= Self.doWord
            } else {
                state |= Self.doWord
            }
            node = prev[node]
        }
        group(node, right, addComma: false)
        let result = next[sentinelHead] != sentinelTail ? next[sentinelHead] : Self.none
        cutBefore(next[sentinelHead])
        cutBefore(sentinelTail)
        return result
    }

    // MARK: - Back to text

    private func isNonOperator(_ node: Int) -> Bool {
        let kind = type[node]
        return kind == Self.atom || kind == Self.quoted || kind == Self.comment || kind == Self.domainLiteral
            || kind == Self.address
    }

    /// Postfix puts a space between adjacent words of an unowned list, and after `,` and a group's `:`.
    private func appendsSpace(_ node: Int) -> Bool {
        let after = next[node]
        guard after != Self.none, owner[node] == Self.none else { return false }
        if type[node] == Int(UInt8(ascii: ",")) || type[node] == Self.startGroup || type[after] == Int(UInt8(ascii: "<")) {
            return true
        }
        return isNonOperator(node) && isNonOperator(after)
    }

    /// `tok822_internalize`: the list from `node` on, quotes and escapes gone.
    func internalize(_ node: Int, into out: inout [UInt8]) {
        var current = node
        while current != Self.none {
            switch type[current] {
            case Self.address: internalize(head[current], into: &out)
            case Self.comment, Self.atom, Self.quoted: out += text[current]
            case Self.domainLiteral: out.append(UInt8(ascii: "[")); out += text[current]; out.append(UInt8(ascii: "]"))
            case Self.startGroup: out.append(UInt8(ascii: ":"))
            default: out.append(UInt8(truncatingIfNeeded: type[current]))
            }
            if appendsSpace(current) { out.append(0x20) }
            current = next[current]
        }
    }

    func internalized(_ node: Int) -> [UInt8] {
        var out: [UInt8] = []
        internalize(node, into: &out)
        return out
    }
}
