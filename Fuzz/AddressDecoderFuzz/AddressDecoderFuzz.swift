// libFuzzer target for RelayPolicy's address decoder and the policy decision on top of it.
//
// Built by scripts/fuzz with `swiftc -sanitize=fuzzer,address -parse-as-library` against the RelayPolicy sources.
// Beyond "never traps", it checks the properties a relay control depends on; a violated property traps, which
// libFuzzer reports as a crash with the input saved as an artifact.
import RelayPolicy

private let defaultPolicy = Policy()
private let siteConnector: Policy = {
    var policy = Policy()
    policy.reroute = true
    policy.relayClients = CIDRSet([try! CIDRPrefix(parsing: "192.0.2.0/24")])
    return policy
}()
private let postfix = PostfixAddressParser.Settings(myhostname: "gateway.test")
private let outside = Client(address: .known(IPAddress("203.0.113.9")!))
private let inside = Client(address: .known(IPAddress("192.0.2.10")!))

private func require(_ condition: Bool, _ message: @autoclosure () -> String, _ raw: String) {
    if !condition { fatalError("property violated: \(message()) for \(raw.debugDescription)") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAddressDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Invalid UTF-8 is repaired, as Postfix's argument reaches us through a String too.
    let raw = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let decoded = AddressDecoder.decode(raw)

    // The decoder's own invariants.
    require((decoded.form == .imcea) == !decoded.layers.isEmpty, "imcea form iff layers", raw)
    require(decoded.layers.count <= AddressDecoder.maximumDepth, "depth bounded", raw)
    require(!decoded.depthExceeded || decoded.layers.count == AddressDecoder.maximumDepth, "depthExceeded at limit", raw)
    require((decoded.inner == nil) == (decoded.form == .plain || decoded.form == .null), "inner iff routed/imcea", raw)
    require(AddressDecoder.decode(raw) == decoded, "deterministic", raw)
    require(AddressDecoder.decode("<" + raw + ">").form == decoded.form || raw.hasPrefix("<") || raw.hasSuffix(">")
            || raw.first.map { $0.isWhitespace } == true || raw.last.map { $0.isWhitespace } == true,
            "angle brackets do not change the form", raw)

    // A layer's payload routes exactly when its decoded body, or the address it hands on, carries @, % or ! (the
    // X400 reading counts a DDA only through that address, RFC 2156 mappings applied).
    func routes(_ text: String?) -> Bool {
        text?.utf8.contains { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "!") } == true
    }
    for layer in decoded.layers {
        require(layer.payloadRoutes == (routes(layer.body) || routes(layer.smtpAddress)),
                "payloadRoutes iff the body or the handed-on address routes (layer \(layer.type.debugDescription))", raw)
    }

    // The policy's security properties.
    let isSMTPLayer = decoded.layers.contains {
        $0.type == "SMTP" || ($0.type == "X400" && ($0.smtpAddress != nil || $0.payloadRoutes))
    }
    // Nesting too deep to see is rejected like a reject type.
    let isRejectType = decoded.depthExceeded || decoded.layers.contains { $0.type == "INVALID" || $0.type == "X500" }
    // IMCEA encodes @, % and ! as +HH: raw ones (or a source route) route the outer address whatever the type.
    let imceaRouted = !decoded.layers.isEmpty
        // Bytes, as Postfix sees them: a combining mark after "!" makes another Character but the same "!" byte.
        && (decoded.recipient.utf8.first == UInt8(ascii: "@")
            || decoded.localPart.utf8.contains { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "!") })
    // A payload of any type that names another hop (no type is exempt by default).
    let payloadRoutes = decoded.layers.contains { $0.payloadRoutes }
    let mustDeny = decoded.form.isRouted || isSMTPLayer || isRejectType || imceaRouted || payloadRoutes
    let byDefault = defaultPolicy.decide(raw, client: outside)
    // The differential property of issue 10: whatever the type, a layer whose decoded payload names another hop is
    // denied to an outside client with reroute = no, judged from the decoded text rather than the decoder's flag.
    if decoded.layers.contains(where: { routes($0.body) || routes($0.smtpAddress) }) {
        require(byDefault.denies, "a decoded payload that routes is denied (got \(byDefault.rule))", raw)
    }
    if mustDeny {
        require(byDefault.verdict == .reject, "default policy denies routed/IMCEA SMTP (got \(byDefault.rule))", raw)
    } else {
        require(byDefault.verdict == .continue, "default policy passes the rest (got \(byDefault.rule))", raw)
    }
    require(byDefault.reply?.description.contains("\n") != true, "a reply is one line", raw)
    let fromOutside = siteConnector.decide(raw, client: outside)
    require(fromOutside.verdict == byDefault.verdict, "an outside client gets what reroute = no gives", raw)
    if isRejectType {
        let fromInside = siteConnector.decide(raw, client: inside)
        require(fromInside.verdict == .reject && fromInside.rule == .imceaRejectType, "reject types even inside", raw)
    }
    // With Postfix's parse of the argument as {rcpt_addr}, as the milter decides: denied whenever the raw text or
    // the parsed address routes or carries an SMTP layer.
    if let parsed = PostfixAddressParser.rcptAddr(forArgument: raw, settings: postfix) {
        let withParsed = defaultPolicy.decide(raw, parsed: parsed, client: outside)
        let delivered = AddressDecoder.decode(parsed)
        let parsedMustDeny = delivered.form.isRouted || delivered.depthExceeded
            || delivered.layers.contains { ["SMTP", "INVALID", "X500"].contains($0.type) || ($0.type == "X400" && $0.smtpAddress != nil) }
        if mustDeny || parsedMustDeny {
            require(withParsed.verdict == .reject, "{rcpt_addr} \(parsed.debugDescription) does not hide a reroute (got \(withParsed.rule))", raw)
        }
    }
    return 0
}
