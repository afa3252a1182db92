/// Decodes IMCEA-encapsulated addresses (MS-OXCMAIL 2.1.3.1.8 and 2.2.3.1.2), following nested layers.
enum IMCEADecoder {
    /// Where the encoded type and body sit in an address's unquoted local part, nil when it is not IMCEA.
    ///
    /// The local part must start with `IMCEA` in any case and have a `-` after it; the type runs to the first `-`, so
    /// an encoded `+2D` inside the type is still part of it. An empty type (`IMCEA-x@y`) still counts: the ABNF allows
    /// it, and treating it as plain would let it through unexamined.
    static func split(localPart local: AddressBytes) -> (type: Range<Int>, body: Range<Int>)? {
        guard local.hasPrefix(caseInsensitive: "imcea") else { return nil }
        var dash = 5
        while dash < local.count, local[dash] != ASCII.hyphen { dash += 1 }
        guard dash < local.count else { return nil }
        return (5..<dash, (dash + 1)..<local.count)
    }

    /// Decodes the layer whose encoded parts `split(localPart:)` found, then every layer nested inside it.
    ///
    /// A layer nests when its SMTP address is itself IMCEA; at most ``AddressDecoder/maximumDepth`` layers are
    /// decoded, so hostile nesting costs bounded work.
    static func layers(
        localPart local: AddressBytes,
        parts: (type: Range<Int>, body: Range<Int>)
    ) -> (layers: [IMCEALayer], depthExceeded: Bool) {
        var decoded = decodeLayer(local, parts)
        var layers = [decoded.layer]
        while let smtp = decoded.smtpBytes {
            let nested: (layer: IMCEALayer, smtpBytes: [UInt8]?)?? = smtp.withUnsafeBufferPointer { bytes in
                let address = bytes.rebased(Envelope.strip(bytes))
                let layout = MailboxScanner.scan(address)
                return MailboxScanner.withLocalPart(address, layout) { nestedLocal in
                    guard let nestedParts = split(localPart: nestedLocal) else { return nil }
                    // Only decode what will be kept; `.some(nil)` reports a layer past the limit.
                    guard layers.count < AddressDecoder.maximumDepth else { return .some(nil) }
                    return decodeLayer(nestedLocal, nestedParts)
                }
            }
            switch nested {
            case .none:
                return (layers, false)
            case .some(.none):
                return (layers, true)
            case .some(.some(let next)):
                layers.append(next.layer)
                decoded = next
            }
        }
        return (layers, false)
    }

    /// Decodes one layer; `smtpBytes` is the SMTP address it carries, kept as bytes for the nesting check.
    private static func decodeLayer(
        _ local: AddressBytes,
        _ parts: (type: Range<Int>, body: Range<Int>)
    ) -> (layer: IMCEALayer, smtpBytes: [UInt8]?) {
        var typeBytes = IMCEAEncoding.decode(local.rebased(parts.type))
        for index in typeBytes.indices { typeBytes[index] = ASCII.uppercased(typeBytes[index]) }
        let type = typeBytes.string()

        var encodedBody = local.rebased(parts.body)
        // `UTF8-` marks a body whose escaped bytes are UTF-8; decoding is the same, only the marker goes.
        if encodedBody.hasPrefix(caseInsensitive: "utf8-") {
            encodedBody = encodedBody.rebased(5..<encodedBody.count)
        }
        var routes = false
        let bodyBytes = IMCEAEncoding.decode(encodedBody, routes: &routes)
        let body = bodyBytes.string()

        var smtpBytes: [UInt8]?
        var smtpAddress: String?
        switch type {
        case "SMTP" where !bodyBytes.isEmpty:
            smtpBytes = bodyBytes
            smtpAddress = body
        case "X400":
            let reading = bodyBytes.withUnsafeBufferPointer(X400Address.read)
            smtpBytes = reading.address
            smtpAddress = reading.address?.string()
            routes = routes || reading.routes
        default:
            break
        }
        let layer = IMCEALayer(type: type, body: body, smtpAddress: smtpAddress, payloadRoutes: routes)
        return (layer, smtpBytes)
    }

    /// Whether a decoded payload names another hop (``IMCEALayer/payloadRoutes``).
    static func payloadRoutes(type: String, body: AddressBytes) -> Bool {
        body.containsRoutingMark() || (type == "X400" && X400Address.read(body).routes)
    }
}
