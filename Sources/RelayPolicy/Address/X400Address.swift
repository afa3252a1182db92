/// Finds the SMTP address an X.400 O/R address carries in a domain-defined attribute.
enum X400Address {
    /// The range of the first non-empty `dda:SMTP=` or `dda:RFC-822=` value (names matched without case).
    ///
    /// Fields are separated by `;` (`c=US;a= ;dda:SMTP=x@y;`), or by `/` in the slash notation
    /// (`/c=US/dda:SMTP=x@y/`). A body with any `;` is read as the `;` form only, so a `/` inside an SMTP address
    /// value there cannot cut the address short. Empty values are skipped rather than ending the search, so a decoy
    /// `dda:SMTP=;` does not hide a later real one.
    static func smtpAddressRange(in body: AddressBytes) -> Range<Int>? {
        let separator = body.contains(ASCII.semicolon) ? ASCII.semicolon : ASCII.slash
        var fieldStart = 0
        while fieldStart < body.count {
            var fieldEnd = fieldStart
            while fieldEnd < body.count, body[fieldEnd] != separator { fieldEnd += 1 }
            var nameStart = fieldStart
            while nameStart < fieldEnd, body[nameStart] == ASCII.space { nameStart += 1 }
            if let valueStart = valueStart(body, at: nameStart), valueStart < fieldEnd {
                return valueStart..<fieldEnd
            }
            fieldStart = fieldEnd + 1
        }
        return nil
    }

    private static func valueStart(_ body: AddressBytes, at index: Int) -> Int? {
        if body.hasPrefix(caseInsensitive: "dda:smtp=", at: index) { return index + 9 }
        if body.hasPrefix(caseInsensitive: "dda:rfc-822=", at: index) { return index + 12 }
        return nil
    }
}
