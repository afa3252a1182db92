/// Recognises routing syntax and follows it to the address the mail would finally reach.
enum RoutedAddress {
    /// How many rewrites ``finalTarget(of:)`` follows before it reports the address reached so far.
    ///
    /// Every rewrite rescans the address, so without a bound `a%a%a%…` would cost quadratic time; real routes have a
    /// handful of hops, and the form alone already marks the address as routed.
    static let maximumHops = 32

    /// The routing form of a non-IMCEA address, judged by the first rewrite Postfix would apply to it.
    static func form(_ layout: MailboxLayout, localPart local: AddressBytes) -> AddressForm {
        if layout.hasSourceRoute { return .sourceRoute }
        if layout.localHasQuote {
            return local.containsRoutingMark() ? .quotedRouting : .plain
        }
        if layout.atCount > 1 { return .multipleAt }
        // Postfix's rewrite_tree swaps a bang path before it considers the percent hack, so `b!a%c` is a bang path.
        var sawPercent = false
        for byte in local {
            if byte == ASCII.bang { return .bangPath }
            if byte == ASCII.percent { sawPercent = true }
        }
        return sawPercent ? .percentHack : .plain
    }

    /// The address a routed `address` finally names, assuming every hop it passes through accepts and rewrites it.
    ///
    /// Modelled on Postfix with `swap_bangpath` and `allow_percent_hack` on, applied repeatedly:
    /// - drop a source route: `@hop:a@b` → `a@b`;
    /// - drop the domain while the local part still routes: `a%b@hop` → `a%b`, `a@b@hop` → `a@b`,
    ///   `"a@b"@hop` → `a@b`;
    /// - with no `@` left, the first `!` first: `c!b!a` → `b!a@c`; then the rightmost `%`: `a%b%c` → `a%b@c`.
    ///
    /// So `a%b%c@local` → `a@b`, `c!b!a` → `a@b`, and `b!a%c@local` → `a%c@b` → `a@c`. The result keeps the final
    /// address as written (quotes included) so it stays a valid address.
    static func finalTarget(of address: AddressBytes) -> String {
        var current = Array(address)
        for _ in 0..<maximumHops {
            switch current.withUnsafeBufferPointer(rewrite) {
            case .final(let range):
                return Array(current[range]).string()
            case .next(let next):
                current = next
            }
        }
        return current.string()
    }

    private enum Hop {
        /// The address is no longer routed; this range of it is the target.
        case final(Range<Int>)
        /// One rewrite applied; go round again.
        case next([UInt8])
    }

    private static func rewrite(_ whole: AddressBytes) -> Hop {
        let envelope = Envelope.strip(whole)
        let address = whole.rebased(envelope)
        let layout = MailboxScanner.scan(address)
        let mailbox = (envelope.lowerBound + layout.mailboxStart)..<envelope.upperBound
        return MailboxScanner.withLocalPart(address, layout) { local in
            if layout.lastAt != nil {
                return local.containsRoutingMark() ? .next(Array(local)) : .final(mailbox)
            }
            // Without an outer `@`, an `@` can only have been quoted: `"a@b"` is the address `a@b`.
            if local.contains(ASCII.at) { return .next(Array(local)) }
            if let bang = local.firstIndex(of: ASCII.bang) {
                var swapped = Array(local[(bang + 1)...])
                swapped.append(ASCII.at)
                swapped.append(contentsOf: local[..<bang])
                return .next(swapped)
            }
            if let percent = local.lastIndex(of: ASCII.percent) {
                var promoted = Array(local)
                promoted[percent] = ASCII.at
                return .next(promoted)
            }
            return .final(mailbox)
        }
    }
}
