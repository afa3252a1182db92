import Testing

@testable import Milter

/// `MilterServer.unixSocketPath(of:)` mirrors libmilter's socket parsing.
struct UnixSocketPathTests {
    @Test(arguments: [
        ("unix:/run/x.sock", "/run/x.sock"),
        ("local:/run/x.sock", "/run/x.sock"),
        ("/run/x.sock", "/run/x.sock"),
        ("inet:8894@127.0.0.1", nil),
        ("inet6:8894@[::1]", nil),
    ] as [(String, String?)])
    func path(socket: String, expected: String?) throws {
        #expect(try MilterServer.unixSocketPath(of: socket) == expected)
    }

    @Test(arguments: ["tcp:1@x", "unix:", "local:"])
    func refused(socket: String) {
        #expect(throws: MilterError.self) { try MilterServer.unixSocketPath(of: socket) }
    }
}
