import Foundation
import Testing

/// The harness's own spawner: every end-to-end test waits on it, so a child that outlives what it should hold up a
/// test (see `ChildProcess`).
@Suite("The test harness's child processes")
struct ChildProcessTests {
    @Test("a child inherits only its three streams: a descriptor of the tests closes when they close it")
    func inheritsOnlyItsStreams() async throws {
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        defer { close(pipe[0]) }
        let sleeper = try ChildProcess("/bin/sleep", ["30"])
        defer { sleeper.kill() }
        close(pipe[1])
        // With the write end inherited by the sleeper, this read would block for 30 s instead of seeing end of file.
        var byte: UInt8 = 0
        var poll = pollfd(fd: pipe[0], events: Int16(POLLIN), revents: 0)
        #expect(Glibc.poll(&poll, 1, 10_000) == 1)
        #expect(read(pipe[0], &byte, 1) == 0)

        let listing = try await runCommand("/bin/sh", ["-c", "ls /proc/$$/fd"], timeout: .seconds(10))
        #expect(listing.stdout.split(separator: "\n") == ["0", "1", "2"], "\(listing.summary)")
    }

    @Test("exit status and signal, as the tests read them")
    func exitStatusAndSignal() async throws {
        let exited = try await runCommand("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(exited.exitCode == 3 && exited.stdout == "out\n" && exited.stderr == "err\n", "\(exited.summary)")

        let killed = try ChildProcess("/bin/sleep", ["30"])
        #expect(killed.isRunning)
        killed.kill()
        #expect(try await killed.waitForExit(timeout: .seconds(10)))
        #expect(killed.terminationSignal == SIGKILL && killed.exitCode == SIGKILL)
        killed.discardOutputFiles()
    }
}
