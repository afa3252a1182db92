/// Splits an address into source route, local part and domain, the way Postfix's tokenizer sees them.
enum MailboxScanner {
    /// Lays out `bytes`, which must already be stripped of whitespace and brackets (see ``Envelope``).
    static func scan(_ bytes: AddressBytes) -> MailboxLayout {
        let start = sourceRouteEnd(bytes)
        var lastAt = -1
        var atCount = 0
        var firstQuote = -1
        var index = start
        // Quotes open anywhere, not only around a whole local part: `a"@"b@x` must not count the quoted `@`.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.at {
                atCount &+= 1
                lastAt = index
            } else if byte == ASCII.quote {
                if firstQuote < 0 { firstQuote = index }
                // Land on the closing quote, or past the end when there is none.
                index = skip(bytes, from: index &+ 1, to: ASCII.quote) ?? bytes.count
            }
            index &+= 1
        }
        let localEnd = lastAt < 0 ? bytes.count : lastAt
        return MailboxLayout(
            mailboxStart: start,
            end: bytes.count,
            lastAt: lastAt < 0 ? nil : lastAt,
            atCount: atCount,
            localHasQuote: firstQuote >= 0 && firstQuote < localEnd
        )
    }

    /// Where the mailbox starts once every leading source route (`@hop1,@hop2:`) is skipped.
    ///
    /// A route needs a `:` outside domain literals and quotes, with something after it, as in Postfix's
    /// `rewrite_tree`; `@[IPv6:2001:db8::1]:a@b` ends at the colon after the bracket. Routes are skipped repeatedly
    /// because `@a:@b:c@d` is only a route nested in a route.
    static func sourceRouteEnd(_ bytes: AddressBytes) -> Int {
        var start = 0
        while start < bytes.count, bytes[start] == ASCII.at {
            guard let colon = routeColon(bytes, from: start), colon + 1 < bytes.count else { break }
            start = colon + 1
        }
        return start
    }

    private static func routeColon(_ bytes: AddressBytes, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case ASCII.colon:
                return index
            case ASCII.openBracket:
                guard let close = skip(bytes, from: index + 1, to: ASCII.closeBracket) else { return nil }
                index = close
            case ASCII.quote:
                guard let close = skip(bytes, from: index + 1, to: ASCII.quote) else { return nil }
                index = close
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The index of the next `terminator` at or after `start`; a backslash makes the byte after it data, so an escaped
    /// `"` or `@` inside quotes is skipped.
    private static func skip(_ bytes: AddressBytes, from start: Int, to terminator: UInt8) -> Int? {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == terminator { return index }
            index += byte == ASCII.backslash ? 2 : 1
        }
        return nil
    }

    /// The bytes in `range` with quotes removed and backslash escapes inside quotes resolved.
    ///
    /// An unterminated quote runs to the end of the range, so `"victim@elsewhere.com` still yields the `@` for the
    /// routing check instead of hiding it.
    static func unquoted(_ bytes: AddressBytes, _ range: Range<Int>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        var inQuote = false
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == ASCII.quote {
                inQuote.toggle()
            } else if inQuote, byte == ASCII.backslash, index + 1 < range.upperBound {
                index += 1
                output.append(bytes[index])
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    /// Calls `body` with the unquoted local part of an already-scanned address, copying only when it has quotes.
    static func withLocalPart<Result>(
        _ bytes: AddressBytes,
        _ layout: MailboxLayout,
        _ body: (AddressBytes) -> Result
    ) -> Result {
        guard layout.localHasQuote else { return body(bytes.rebased(layout.localRange)) }
        return unquoted(bytes, layout.localRange).withUnsafeBufferPointer(body)
    }
}
