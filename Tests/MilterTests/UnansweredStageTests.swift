import CMilter
import Testing

@testable import Milter

/// `status(for:at:_:_:)`: an unanswered stage never answers, and a refusal given there is kept for the later answered
/// stages instead of being lost.
struct UnansweredStageTests {
    /// Never asked for a session: the boxes here are built by hand.
    struct NoSessions: MilterSessionFactory {
        func makeSession() -> any MilterSession { fatalError("not used") }
    }

    /// Every callback continues; the tests pass verdicts to `status` themselves.
    final class IdleSession: MilterSession {
        func connect(_ info: MilterConnectInfo, macros: MilterMacros) -> MilterVerdict { .continue }
        func helo(_ name: String, macros: MilterMacros) -> MilterVerdict { .continue }
        func mail(_ args: [String], macros: MilterMacros) -> MilterVerdict { .continue }
        func recipient(_ args: [String], macros: MilterMacros) -> MilterVerdict { .continue }
        func endOfMessage(macros: MilterMacros) -> MilterVerdict { .continue }
        func abort() {}
        func close() {}
    }

    static func box() throws -> SessionBox {
        let configuration = MilterConfiguration(name: "t", socket: .inet(port: 1, host: "x"), unansweredStages: [.connect, .mail])
        return SessionBox(session: IdleSession(),
                          context: try ServerContext(configuration: configuration, factory: NoSessions()))
    }

    @Test("continue at an unanswered stage is no reply, and nothing is carried")
    func continueIsNoReply() throws {
        let box = try Self.box()
        #expect(status(for: .continue, at: .connect, box, nil) == SMFIS_NOREPLY)
        #expect(box.carriedVerdict == nil)
    }

    @Test("a tempfail at an unanswered stage is no reply there and carried; the first one carried stays")
    func failureIsCarried() throws {
        let box = try Self.box()
        #expect(status(for: .tempfail(nil), at: .connect, box, nil) == SMFIS_NOREPLY)
        #expect(status(for: .reject(nil), at: .mail, box, nil) == SMFIS_NOREPLY)
        #expect(box.carriedVerdict == .tempfail(nil))
    }

    @Test("accept and discard at an unanswered stage are no reply and not carried", arguments: [
        MilterVerdict.accept, .discard,
    ])
    func acceptAndDiscardAreNotCarried(verdict: MilterVerdict) throws {
        let box = try Self.box()
        #expect(status(for: verdict, at: .mail, box, nil) == SMFIS_NOREPLY)
        #expect(box.carriedVerdict == nil)
    }

    @Test("an answered stage answers its own verdict")
    func answeredStage() throws {
        let box = try Self.box()
        #expect(status(for: .continue, at: .helo, box, nil) == SMFIS_CONTINUE)
        #expect(box.carriedVerdict == nil)
    }
}
