import RelayGuardConfig

/// RelayGuard's listen socket as Postfix must name it in a milter list, and whether a list entry reaches it.
struct RelayGuardSocket {
    let socket: ListenSocket
    let queueDirectory: String

    /// How main.cf should spell the socket: `inet:HOST:PORT`, or a unix path relative to the queue directory when the
    /// socket is inside it (`unix:relayguard/relayguard.sock`): Postfix's daemons run in the queue directory, so a
    /// relative path works for chrooted and unchrooted smtpd alike, where `/relayguard/...` works only chrooted.
    var postfixSpelling: String {
        switch socket {
        case .inet(let port, let host):
            return "inet:\(host.isEmpty || host == "0.0.0.0" ? "127.0.0.1" : host):\(port)"
        case .inet6(let port, let host):
            return "inet:[\(host.isEmpty || host == "::" ? "::1" : host)]:\(port)"
        case .unix(let path):
            if let inside = pathInsideQueueDirectory(path) { return "unix:\(inside.dropFirst())" }
            return "unix:\(path)"
        }
    }

    /// The socket's path below the queue directory (`/relayguard/relayguard.sock`), nil when it is outside it.
    func pathInsideQueueDirectory(_ path: String) -> String? {
        let queue = queueDirectory.hasSuffix("/") ? String(queueDirectory.dropLast()) : queueDirectory
        guard path.hasPrefix(queue + "/") else { return nil }
        return String(path.dropFirst(queue.count))
    }

    /// Whether a Postfix milter address reaches this socket from a process that is, or is not, chrooted.
    func isReached(by address: String, chrooted: Bool) -> Bool {
        switch socket {
        case .unix(let path):
            guard let target = Self.strip(address, prefixes: ["unix:", "local:"]) else { return false }
            return normalized(unixTarget(target, chrooted: chrooted)) == normalized(path)
        case .inet(let port, let host), .inet6(let port, let host):
            guard let target = Self.strip(address, prefixes: ["inet:"]),
                  let colon = target.lastIndex(of: ":") else { return false }
            var targetHost = String(target[..<colon])
            if targetHost.hasPrefix("["), targetHost.hasSuffix("]") { targetHost = String(targetHost.dropFirst().dropLast()) }
            guard String(target[target.index(after: colon)...]) == String(port) else { return false }
            return Self.sameHost(targetHost, host)
        }
    }

    /// Postfix opens a milter's unix path inside the chroot (the queue directory) when chrooted; a relative path is
    /// relative to the queue directory, Postfix's working directory, either way.
    private func unixTarget(_ path: String, chrooted: Bool) -> String {
        if chrooted || !path.hasPrefix("/") { return queueDirectory + "/" + path }
        return path
    }

    private func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return "/" + parts.joined(separator: "/")
    }

    private static func strip(_ text: String, prefixes: [String]) -> String? {
        for prefix in prefixes where text.lowercased().hasPrefix(prefix) { return String(text.dropFirst(prefix.count)) }
        return nil
    }

    private static let loopback: Set<String> = ["127.0.0.1", "localhost", "::1"]

    /// A wildcard listener is reached through any local address; `localhost` and the loopback addresses are one host.
    private static func sameHost(_ postfixHost: String, _ listenHost: String) -> Bool {
        if listenHost.isEmpty || listenHost == "0.0.0.0" || listenHost == "::" { return true }
        if postfixHost.lowercased() == listenHost.lowercased() { return true }
        return loopback.contains(postfixHost.lowercased()) && loopback.contains(listenHost.lowercased())
    }
}
