import CMilter
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import Milter

/// `milterCall`: libmilter's MI_FAILURE to a `MilterError` naming the function, with errno only when it is this call's.
struct MilterErrorTests {
    @Test("a failure with errno names the function, what it worked on and the OS error")
    func withErrno() {
        #expect(throws: MilterError(.openSocket, detail: "unix:/run/x.sock", errno: .addressInUse)) {
            try milterCall(.openSocket, "unix:/run/x.sock") {
                errno = EADDRINUSE
                return MI_FAILURE
            }
        }
        #expect("\(MilterError(.openSocket, detail: "inet:8894@127.0.0.1", errno: .addressInUse))"
            == "smfi_opensocket failed: inet:8894@127.0.0.1 (Address already in use)")
    }

    @Test("without errno, or where errno means nothing, the message points to syslog")
    func withoutErrno() {
        #expect(throws: MilterError(.setConnection, detail: "bogus")) {
            try milterCall(.setConnection, "bogus") { MI_FAILURE }
        }
        #expect(throws: MilterError(.main, detail: "")) {
            try milterCall(.main, errnoIsMeaningful: false) {
                errno = EINTR
                return MI_FAILURE
            }
        }
        #expect("\(MilterError(.main, detail: ""))" == "smfi_main failed (libmilter logged the reason to syslog)")
        #expect("\(MilterError(.configuration, detail: "empty socket path"))" == "invalid milter configuration: empty socket path")
    }

    @Test("success throws nothing")
    func success() throws {
        try milterCall(.setTimeout, "30 s") { MI_SUCCESS }
    }
}
