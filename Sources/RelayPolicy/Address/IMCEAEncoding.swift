/// The `+HH` / `_` escaping of MS-OXCMAIL 2.1.3.1.8, undone.
enum IMCEAEncoding {
    /// Decodes `_` to `/` and `+HH` (hex in either case) to the byte 0xHH.
    ///
    /// A `+` without two hex digits after it stays a literal `+`, since Exchange itself would have escaped a real one
    /// and rejecting the address here would only hide it from the policy. `+00` yields a NUL byte that is kept: the
    /// body must not be truncated where a C string would be.
    static func decode(_ encoded: AddressBytes) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(encoded.count)
        var index = 0
        while index < encoded.count {
            let byte = encoded[index]
            if byte == ASCII.underscore {
                output.append(ASCII.slash)
            } else if byte == ASCII.plus, index + 2 < encoded.count,
                let high = ASCII.hexValue(encoded[index + 1]), let low = ASCII.hexValue(encoded[index + 2])
            {
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }
}
