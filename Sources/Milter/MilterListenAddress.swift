/// Where the milter listens. Typed, so that nothing parses an address again: `MilterServer` renders libmilter's
/// `smfi_setconn` string from it once (`description`) and reads the unix path or the TCP port off the case.
public enum MilterListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// A unix-domain socket at `path` (absolute, as libmilter resolves it from its working directory otherwise).
    case unix(path: String)
    /// TCP over IPv4 on `port`; `host` is an address or name, empty for every interface.
    case inet(port: UInt16, host: String)
    /// TCP over IPv6 on `port`; `host` is an address without brackets, empty for every interface.
    case inet6(port: UInt16, host: String)

    /// The string `smfi_setconn` takes: `unix:/path`, `inet:PORT` or `inet:PORT@HOST`, `inet6:PORT` or
    /// `inet6:PORT@[ADDR]`.
    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .inet(let port, let host): host.isEmpty ? "inet:\(port)" : "inet:\(port)@\(host)"
        case .inet6(let port, let host): host.isEmpty ? "inet6:\(port)" : "inet6:\(port)@[\(host)]"
        }
    }

    /// The filesystem path of a unix socket, nil for TCP.
    var unixPath: String? {
        if case .unix(let path) = self { path } else { nil }
    }

    /// The TCP port, nil for a unix socket.
    var port: UInt16? {
        switch self {
        case .unix: nil
        case .inet(let port, _), .inet6(let port, _): port
        }
    }
}
