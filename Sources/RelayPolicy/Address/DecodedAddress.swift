/// A recipient address taken apart: its form, its outer parts, and the address it finally points at.
public struct DecodedAddress: Sendable, Equatable {
    /// The address as given, whitespace and angle brackets removed; a source route is kept.
    public var recipient: String
    /// Which routing or encapsulation form the address uses.
    public var form: AddressForm
    /// IMCEA layers, outermost first; empty when the address is not IMCEA.
    public var layers: [IMCEALayer]
    /// Nesting went past ``AddressDecoder/maximumDepth``: decoding stopped and the last layer still holds an IMCEA
    /// address.
    public var depthExceeded: Bool
    /// The local part of the outer address (after any source route), quotes and backslash escapes removed.
    public var localPart: String
    /// The domain of the outer address, ASCII-lowercased; "" when there is none. Domain literals keep their brackets.
    public var domain: String
    /// The address the mail would finally go to: for IMCEA the last layer's SMTP address or else its body, for routed
    /// forms the final target after following every hop, nil for plain and null addresses.
    public var inner: String?

    /// The outermost IMCEA type, nil when the address is not IMCEA.
    public var imceaType: String? { layers.first?.type }

    /// Creates a decoded address; ``AddressDecoder/decode(_:)`` is the usual source of these.
    public init(
        recipient: String,
        form: AddressForm,
        layers: [IMCEALayer] = [],
        depthExceeded: Bool = false,
        localPart: String,
        domain: String,
        inner: String? = nil
    ) {
        self.recipient = recipient
        self.form = form
        self.layers = layers
        self.depthExceeded = depthExceeded
        self.localPart = localPart
        self.domain = domain
        self.inner = inner
    }
}
