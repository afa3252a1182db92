/// A listening address as `socket`, `policy_socket` and `metrics_listen` write it (libmilter's syntax, kept for
/// all three): `inet:PORT@HOST`, `inet6:PORT@[ADDR]`, `unix:/path`, `local:/path`.
public enum ListenSocket: Sendable, Equatable, CustomStringConvertible {
    case inet(port: UInt16, host: String)
    case inet6(port: UInt16, host: String)
    case unix(path: String)

    public init?(_ text: String) {
        if let rest = text.dropPrefix("unix:") ?? text.dropPrefix("local:") {
            guard rest.hasPrefix("/"), rest.count > 1 else { return nil }
            self = .unix(path: String(rest))
            return
        }
        let isInet6 = text.hasPrefix("inet6:")
        guard let rest = text.dropPrefix("inet6:") ?? text.dropPrefix("inet:") else { return nil }
        let parts = rest.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard let port = UInt16(parts[0]), port > 0 else { return nil }
        var host = parts.count > 1 ? String(parts[1]) : ""
        if isInet6, host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard parts.count == 1 || !host.isEmpty else { return nil }
        self = isInet6 ? .inet6(port: port, host: host) : .inet(port: port, host: host)
    }

    /// True for `unix:`/`local:`.
    public var isUnix: Bool {
        if case .unix = self { true } else { false }
    }

    /// An inet address without a host, or with the any-address (0.0.0.0, ::): bound on every interface.
    public var isWildcard: Bool {
        switch self {
        case .inet(_, let host): host.isEmpty || host == "0.0.0.0"
        case .inet6(_, let host): host.isEmpty || host == "::" || host == "0:0:0:0:0:0:0:0"
        case .unix: false
        }
    }

    /// The same port on the loopback address, for advice.
    public var onLoopback: ListenSocket {
        switch self {
        case .inet(let port, _): .inet(port: port, host: "127.0.0.1")
        case .inet6(let port, _): .inet6(port: port, host: "::1")
        case .unix: self
        }
    }

    /// The address as the config writes it, for messages (the Milter target's `MilterListenAddress` renders the
    /// string `smfi_setconn` takes).
    public var description: String {
        switch self {
        case .inet(let port, let host): host.isEmpty ? "inet:\(port)" : "inet:\(port)@\(host)"
        case .inet6(let port, let host): host.isEmpty ? "inet6:\(port)" : "inet6:\(port)@[\(host)]"
        case .unix(let path): "unix:\(path)"
        }
    }
}

extension String {
    func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
