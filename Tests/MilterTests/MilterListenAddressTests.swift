import Testing

@testable import Milter

/// `MilterListenAddress`: the one rendering of libmilter's `smfi_setconn` string, and what `run` refuses before it.
struct MilterListenAddressTests {
    @Test("smfi_setconn's spelling of each address", arguments: [
        (MilterListenAddress.unix(path: "/run/x.sock"), "unix:/run/x.sock"),
        (.inet(port: 8894, host: "127.0.0.1"), "inet:8894@127.0.0.1"),
        (.inet(port: 8894, host: ""), "inet:8894"),
        (.inet6(port: 8894, host: "::1"), "inet6:8894@[::1]"),
        (.inet6(port: 8894, host: ""), "inet6:8894"),
    ])
    func rendering(address: MilterListenAddress, expected: String) {
        #expect(address.description == expected)
    }

    @Test("the unix path and the TCP port come off the case")
    func parts() {
        #expect(MilterListenAddress.unix(path: "/run/x.sock").unixPath == "/run/x.sock")
        #expect(MilterListenAddress.unix(path: "/run/x.sock").port == nil)
        #expect(MilterListenAddress.inet6(port: 25, host: "::1").port == 25)
        #expect(MilterListenAddress.inet(port: 25, host: "").unixPath == nil)
    }

    /// Both are refused before libmilter or the server context is touched, so the process may try again.
    struct NoSessions: MilterSessionFactory {
        func makeSession() -> any MilterSession { fatalError("not used") }
    }

    @Test("an empty unix path, and a socket mode on a TCP socket, are refused before libmilter", arguments: [
        (MilterConfiguration(name: "t", socket: .unix(path: "")), "invalid milter configuration: empty socket path in unix:"),
        (MilterConfiguration(name: "t", socket: .inet(port: 1, host: "127.0.0.1"), socketMode: 0o660),
         "invalid milter configuration: socketMode applies only to unix sockets, not inet:1@127.0.0.1"),
    ])
    func refused(configuration: MilterConfiguration, message: String) {
        #expect {
            try MilterServer.run(configuration, factory: NoSessions())
        } throws: { error in
            "\(error)" == message
        }
    }
}
