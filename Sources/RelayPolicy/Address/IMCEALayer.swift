/// One level of IMCEA encapsulation.
public struct IMCEALayer: Sendable, Equatable {
    /// The address type, `+HH` and `_` decoded and then ASCII-uppercased: "SMTP", "X400", "EX", "FAX", or any other.
    public var type: String
    /// The decoded body, with any `UTF8-` marker removed; bytes that are not UTF-8 become U+FFFD.
    public var body: String
    /// The address this layer hands on: the body for SMTP; for X400 the first `DDA:<type>=` value that routes, else
    /// the first `DDA:SMTP=`, `DDA:RFC-822=`, `DDA:RFC822=` or `DDA:INTERNET=` value (see ``X400Address``); nil
    /// otherwise or when that address is empty.
    public var smtpAddress: String?
    /// Whether the payload names another hop: the body carries `@`, `%` or `!`, or (X400) a DDA value does once
    /// RFC 2156's `(a)`, `(p)`, `(b)` and `(NNN)` are mapped. The connector for any type may hand such a payload on.
    public var payloadRoutes: Bool

    /// Creates a layer; the decoder builds these, tests and policies compare against them. Without `payloadRoutes`
    /// it is worked out from `type` and `body` as the decoder does.
    public init(type: String, body: String, smtpAddress: String? = nil, payloadRoutes: Bool? = nil) {
        self.type = type
        self.body = body
        self.smtpAddress = smtpAddress
        if let payloadRoutes {
            self.payloadRoutes = payloadRoutes
        } else {
            var bytes = body
            self.payloadRoutes = bytes.withUTF8 { IMCEADecoder.payloadRoutes(type: type, body: $0) }
        }
    }
}
