/// The `+HH` / `_` escaping of MS-OXCMAIL 2.1.3.1.8, undone.
enum IMCEAEncoding {
    /// Decodes `_` to `/` and `+HH` (hex in either case) to the byte 0xHH.
    ///
    /// A `+` without two hex digits after it stays a literal `+`, since Exchange itself would have escaped a real one
    /// and rejecting the address here would only hide it from the policy. `+00` yields a NUL byte that is kept: the
    /// body must not be truncated where a C string would be.
    static func decode(_ encoded: AddressBytes) -> [UInt8] {
        var routes = false
        return decode(encoded, routes: &routes)
    }

    /// Decodes as ``decode(_:)`` and sets `routes` when a decoded byte is `@`, `%` or `!`: noted on the way, so the
    /// payload is read once rather than twice per IMCEA layer.
    static func decode(_ encoded: AddressBytes, routes: inout Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count)
        var sawMark = false
        var index = 0
        while index < encoded.count {
            let byte = encoded[index]
            if byte == ASCII.underscore {
                output.append(ASCII.slash)
            } else if byte == ASCII.plus, index + 2 < encoded.count,
                let high = ASCII.hexValue(encoded[index + 1]), let low = ASCII.hexValue(encoded[index + 2])
            {
                let decoded = high << 4 | low
                output.append(decoded)
                if ASCII.isRoutingMark(decoded) { sawMark = true }
                index += 2
            } else {
                output.append(byte)
                // Letters, the bulk of a payload, are above `@` and cost one comparison.
                if byte <= ASCII.at, ASCII.isRoutingMark(byte) { sawMark = true }
            }
            index += 1
        }
        routes = sawMark
        return output
    }
}
