/// One level of IMCEA encapsulation.
public struct IMCEALayer: Sendable, Equatable {
    /// The address type, `+HH` and `_` decoded and then ASCII-uppercased: "SMTP", "X400", "EX", "FAX", or any other.
    public var type: String
    /// The decoded body, with any `UTF8-` marker removed; bytes that are not UTF-8 become U+FFFD.
    public var body: String
    /// The SMTP address this layer carries: the body for SMTP, the `dda:SMTP=` or `dda:RFC-822=` value for X400,
    /// nil otherwise or when that address is empty.
    public var smtpAddress: String?

    /// Creates a layer; the decoder builds these, tests and policies compare against them.
    public init(type: String, body: String, smtpAddress: String? = nil) {
        self.type = type
        self.body = body
        self.smtpAddress = smtpAddress
    }
}
