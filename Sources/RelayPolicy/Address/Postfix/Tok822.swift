/// Postfix's RFC 822 token list (`tok822`) and the list operations the parser and the resolver rewrite it with; the
/// tokenizer is in Tok822Scanner.swift, the parser and the way back to text in Tok822Parser.swift. Nodes live in an arena and link by index, as Postfix's `TOK822`
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

    // Node fields, indexed by node; `none` is Postfix's null pointer.
    var type: [Int] = []
    var text: [[UInt8]] = []
    var prev: [Int] = []
    var next: [Int] = []
    var owner: [Int] = []
    var head: [Int] = []
    var tail: [Int] = []

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
}
