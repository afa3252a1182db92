/// A recipient address taken apart: its form, its outer parts, and the address it finally points at.
public struct DecodedAddress: Sendable, Equatable {
    /// The address as given, whitespace and angle brackets removed; a source route is kept.
    public var recipient: String {
        get { storedRecipient }
        set {
            // A routed target not yet worked out is worked out from the old recipient first.
            if case .routedTarget = innerStorage { innerStorage = .value(inner) }
            storedRecipient = newValue
        }
    }
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
    ///
    /// For routed forms it is worked out when read: the policy decides on the form alone, and following the hops
    /// (a copy of the address per hop, and a String) was a quarter of the decoding time of every routed recipient.
    public var inner: String? {
        get {
            switch innerStorage {
            case .value(let inner):
                return inner
            case .routedTarget(let mailboxStart):
                var recipient = storedRecipient
                return recipient.withUTF8 { RoutedAddress.finalTarget(of: $0.rebased(mailboxStart..<$0.count)) }
            }
        }
        set { innerStorage = .value(newValue) }
    }

    private var storedRecipient: String
    private var innerStorage: Inner

    /// `inner` as given, or where the mailbox of a routed `recipient` starts so its final target can be followed later.
    enum Inner: Sendable {
        case value(String?)
        case routedTarget(mailboxStart: Int)
    }

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
        self.init(recipient: recipient, form: form, layers: layers, depthExceeded: depthExceeded, localPart: localPart,
                  domain: domain, innerStorage: .value(inner))
    }

    init(
        recipient: String,
        form: AddressForm,
        layers: [IMCEALayer] = [],
        depthExceeded: Bool = false,
        localPart: String,
        domain: String,
        innerStorage: Inner
    ) {
        self.storedRecipient = recipient
        self.form = form
        self.layers = layers
        self.depthExceeded = depthExceeded
        self.localPart = localPart
        self.domain = domain
        self.innerStorage = innerStorage
    }

    /// Equal when every public field is; a routed target compares by its value, worked out or not.
    public static func == (lhs: DecodedAddress, rhs: DecodedAddress) -> Bool {
        lhs.storedRecipient == rhs.storedRecipient && lhs.form == rhs.form && lhs.layers == rhs.layers
            && lhs.depthExceeded == rhs.depthExceeded && lhs.localPart == rhs.localPart && lhs.domain == rhs.domain
            && lhs.inner == rhs.inner
    }
}
