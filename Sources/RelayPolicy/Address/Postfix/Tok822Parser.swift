/// Postfix's RFC 822 parser (`tok822_parse`): right to left, comments moved aside, each address grouped under an
/// address node; and `tok822_internalize`, back to text. Written from `src/global/tok822_parse.c`; not a copy.
extension Tok822 {
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
