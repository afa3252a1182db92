/// RFC 3492's decoder, for the A-labels `PostfixHostSyntax` meets: the code points `text` (lower case, without
/// `xn--`) spells, nil when it is not valid Punycode.
enum Punycode {
    static func decode(_ text: String) -> [Unicode.Scalar]? {
        let base = 36, tMin = 1, tMax = 26
        let input = Array(text.utf8)
        let delimiter = input.lastIndex(of: UInt8(ascii: "-"))
        var output: [Unicode.Scalar] = delimiter.map { input[..<$0].map { Unicode.Scalar($0) } } ?? []
        var position = delimiter.map { $0 + 1 } ?? 0
        var code = 128, index = 0, bias = 72
        while position < input.count {
            let oldIndex = index
            var weight = 1
            var k = base
            while true {
                guard position < input.count else { return nil }
                let byte = input[position]
                position += 1
                let digit: Int
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = Int(byte - UInt8(ascii: "a"))
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0")) + 26
                default: return nil
                }
                let (product, productOverflow) = digit.multipliedReportingOverflow(by: weight)
                let (sum, sumOverflow) = index.addingReportingOverflow(product)
                guard !productOverflow, !sumOverflow, sum <= 0x7FFF_FFFF else { return nil }
                index = sum
                let threshold = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if digit < threshold { break }
                weight *= base - threshold
                guard weight <= 0x7FFF_FFFF else { return nil }
                k += base
            }
            bias = adapt(index - oldIndex, count: output.count + 1, first: oldIndex == 0)
            code += index / (output.count + 1)
            index %= output.count + 1
            guard code <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
            output.insert(scalar, at: index)
            index += 1
        }
        return output
    }

    private static func adapt(_ delta: Int, count: Int, first: Bool) -> Int {
        var delta = first ? delta / 700 : delta / 2
        delta += delta / count
        var k = 0
        while delta > (35 * 26) / 2 {
            delta /= 35
            k += 36
        }
        return k + 36 * delta / (delta + 38)
    }
}
