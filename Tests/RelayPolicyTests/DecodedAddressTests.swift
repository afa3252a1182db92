import RelayPolicy
import Testing

/// A routed address's `inner` is worked out when read; it must behave exactly like a stored field.
struct DecodedAddressTests {
    @Test(arguments: [
        ("<victim%elsewhere.com@corp.example>", "victim@elsewhere.com"),
        ("<elsewhere.com!victim@corp.example>", "victim@elsewhere.com"),
        ("<@hop.example:victim@elsewhere.com>", "victim@elsewhere.com"),
        (" <\"victim@elsewhere.com\"@corp.example> ", "victim@elsewhere.com"),
        ("<a@b@corp.example>", "a@b"),
    ])
    func routedInnerIsAStoredValueToEveryReader(raw: String, inner: String) {
        let decoded = AddressDecoder.decode(raw)
        #expect(decoded.form.isRouted)
        #expect(decoded.inner == inner)
        let spelled = DecodedAddress(recipient: decoded.recipient, form: decoded.form, layers: decoded.layers,
                                     depthExceeded: decoded.depthExceeded, localPart: decoded.localPart,
                                     domain: decoded.domain, inner: inner)
        #expect(decoded == spelled)
        var other = spelled
        other.inner = "someone@else.example"
        #expect(decoded != other)
    }

    @Test func changingTheRecipientKeepsTheTargetItWasDecodedWith() {
        var decoded = AddressDecoder.decode("<victim%elsewhere.com@corp.example>")
        decoded.recipient = "rewritten@corp.example"
        #expect(decoded.recipient == "rewritten@corp.example")
        #expect(decoded.inner == "victim@elsewhere.com")
        decoded.inner = nil
        #expect(decoded.inner == nil)
    }

    @Test func settingInnerReplacesTheRoutedTarget() {
        var decoded = AddressDecoder.decode("<elsewhere.com!victim@corp.example>")
        decoded.inner = "x@y"
        #expect(decoded.inner == "x@y")
        #expect(decoded.recipient == "elsewhere.com!victim@corp.example")
    }
}
