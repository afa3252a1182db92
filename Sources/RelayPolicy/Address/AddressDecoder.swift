/// Decodes RCPT addresses into their form, outer parts and final target. Pure, allocation-light, never traps.
public enum AddressDecoder {
    /// The most IMCEA layers decoded; deeper nesting sets ``DecodedAddress/depthExceeded``.
    public static let maximumDepth = 8

    /// Decodes `raw`, the RCPT argument as Postfix passes it: angle brackets, quotes, source routes, UTF-8, garbage.
    ///
    /// Only an empty argument (after whitespace and brackets) and a lone `@` are ``AddressForm/null``; Postfix's
    /// rewrite_tree treats a lone `@` as the empty address too.
    public static func decode(_ raw: String) -> DecodedAddress {
        // withUTF8 reads a native String's own storage, or a stack copy of a small one; only a bridged, non-UTF-8
        // String would be copied, and the caller's String is never changed.
        var contiguous = raw
        return contiguous.withUTF8 { decode($0, raw: raw) }
    }

    private static func decode(_ whole: AddressBytes, raw: String) -> DecodedAddress {
        let envelope = Envelope.strip(whole)
        let recipient = envelope.count == whole.count ? raw : whole.rebased(envelope).string()
        let address = whole.rebased(envelope)
        if address.isEmpty || (address.count == 1 && address[0] == ASCII.at) {
            return DecodedAddress(recipient: recipient, form: .null, localPart: "", domain: "")
        }

        let layout = MailboxScanner.scan(address)
        let domain = address.rebased(layout.domainRange).lowercasedString()
        if layout.localHasQuote {
            return decodedQuoted(address, layout, recipient: recipient, domain: domain)
        }
        return decoded(address, layout, address.rebased(layout.localRange), recipient: recipient, domain: domain)
    }

    // Quoted local parts are rare and need an unquoted copy; kept out of line so the common path stays small.
    @inline(never)
    private static func decodedQuoted(
        _ address: AddressBytes,
        _ layout: MailboxLayout,
        recipient: String,
        domain: String
    ) -> DecodedAddress {
        MailboxScanner.unquoted(address, layout.localRange).withUnsafeBufferPointer { local in
            decoded(address, layout, local, recipient: recipient, domain: domain)
        }
    }

    private static func decoded(
        _ address: AddressBytes,
        _ layout: MailboxLayout,
        _ local: AddressBytes,
        recipient: String,
        domain: String
    ) -> DecodedAddress {
        let localPart = local.string()
        if let parts = IMCEADecoder.split(localPart: local) {
            let (layers, depthExceeded) = IMCEADecoder.layers(localPart: local, parts: parts)
            let last = layers.last
            return DecodedAddress(
                recipient: recipient,
                form: .imcea,
                layers: layers,
                depthExceeded: depthExceeded,
                localPart: localPart,
                domain: domain,
                inner: last?.smtpAddress ?? last?.body
            )
        }
        let form = RoutedAddress.form(layout, localPart: local)
        return DecodedAddress(
            recipient: recipient,
            form: form,
            localPart: localPart,
            domain: domain,
            // `recipient` holds exactly the bytes of `address`, so the target can be followed from it when read.
            innerStorage: form.isRouted ? .routedTarget(mailboxStart: layout.mailboxStart) : .value(nil)
        )
    }
}
