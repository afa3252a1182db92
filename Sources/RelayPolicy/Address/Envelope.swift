/// Strips what surrounds an RCPT argument: whitespace and angle brackets.
enum Envelope {
    /// The range of `bytes` left after trimming whitespace and removing `<` and `>`.
    ///
    /// A lone `<` or `>` is removed as well as a matched pair: Postfix never passes an unbalanced bracket, but a
    /// decoder that gave up on `<IMCEASMTP-x+40y@corp` would hand a fuzzed or hand-typed input a way around the
    /// IMCEA check. Whitespace inside the brackets is trimmed too.
    static func strip(_ bytes: AddressBytes) -> Range<Int> {
        var lower = 0
        var upper = bytes.count
        trim(bytes, &lower, &upper)
        if lower < upper, bytes[lower] == ASCII.lessThan { lower += 1 }
        if lower < upper, bytes[upper - 1] == ASCII.greaterThan { upper -= 1 }
        trim(bytes, &lower, &upper)
        return lower..<upper
    }

    private static func trim(_ bytes: AddressBytes, _ lower: inout Int, _ upper: inout Int) {
        while lower < upper, ASCII.isSpace(bytes[lower]) { lower += 1 }
        while lower < upper, ASCII.isSpace(bytes[upper - 1]) { upper -= 1 }
    }
}
