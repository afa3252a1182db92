/// The SMTP client's address as the MTA reported it at connect.
///
/// Bytes are in network order, ready for byte-level CIDR matching without any socket types.
public enum MilterClientAddress: Sendable, Equatable {
    /// An IPv4 address: exactly 4 bytes.
    case ipv4([UInt8])
    /// An IPv6 address: exactly 16 bytes (an IPv4-mapped address stays IPv6 here).
    case ipv6([UInt8])
    /// A local (unix-domain) client, with the path the MTA sent.
    case local(String)
    /// The MTA sent no address (e.g. Postfix with an unknown client) or an unknown family.
    case unknown
}

/// What `xxfi_connect` reports about a new SMTP connection.
public struct MilterConnectInfo: Sendable {
    /// The client's host name as the MTA resolved it; Postfix sends "unknown" when there is none.
    public var hostname: String
    /// The client's address.
    public var address: MilterClientAddress
    /// The client's TCP port, or `nil` when the MTA did not send one.
    public var port: UInt16?

    /// Creates connect information (for tests of sessions; the server builds it from libmilter's data).
    public init(hostname: String, address: MilterClientAddress, port: UInt16?) {
        self.hostname = hostname
        self.address = address
        self.port = port
    }
}
