#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension MilterConnectInfo {
    /// Converts `xxfi_connect`'s arguments. libmilter passes a pointer into a sockaddr union large
    /// enough for any family it decodes, so loading the family-specific struct stays in bounds.
    init(hostname: UnsafePointer<CChar>?, hostaddr: UnsafePointer<sockaddr>?) {
        self.hostname = hostname.map { String(cString: $0) } ?? ""
        guard let hostaddr else {
            self.address = .unknown
            self.port = nil
            return
        }
        let raw = UnsafeRawPointer(hostaddr)
        switch Int32(hostaddr.pointee.sa_family) {
        case AF_INET:
            let sin = raw.loadUnaligned(as: sockaddr_in.self)
            self.address = .ipv4(withUnsafeBytes(of: sin.sin_addr) { Array($0) })
            self.port = Self.port(fromNetworkOrder: sin.sin_port)
        case AF_INET6:
            let sin6 = raw.loadUnaligned(as: sockaddr_in6.self)
            self.address = .ipv6(withUnsafeBytes(of: sin6.sin6_addr) { Array($0) })
            self.port = Self.port(fromNetworkOrder: sin6.sin6_port)
        case AF_UNIX:
            // libmilter copies the path with strlcpy, so sun_path is NUL-terminated.
            let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
            let path = (raw + pathOffset).assumingMemoryBound(to: CChar.self)
            self.address = .local(String(cString: path))
            self.port = nil
        default:
            self.address = .unknown
            self.port = nil
        }
    }

    /// libmilter leaves the port 0 when the MTA sent none.
    private static func port(fromNetworkOrder value: in_port_t) -> UInt16? {
        let port = UInt16(bigEndian: value)
        return port == 0 ? nil : port
    }
}
