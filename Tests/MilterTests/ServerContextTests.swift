import CMilter
import Testing

@testable import Milter

/// `ServerContext`: which macros each callback sees, what `smfi_setsymlist` is asked for, and refused names.
struct ServerContextTests {
    /// Never asked for a session: these tests build contexts only.
    struct NoSessions: MilterSessionFactory {
        func makeSession() -> any MilterSession { fatalError("not used") }
    }

    static func context(_ macros: [MilterStage: [String]]) throws -> ServerContext {
        try ServerContext(configuration: MilterConfiguration(name: "t", socket: .inet(port: 1, host: "x"), macros: macros),
                          factory: NoSessions())
    }

    static let macros: [MilterStage: [String]] = [
        .rcpt: ["i", "i"], .connect: ["{client_addr}"], .endOfMessage: ["{x}"],
    ]

    @Test("a stage sees the names listed for it, once each, and no earlier stage's", arguments: [
        (MilterStage.connect, ["{client_addr}"]),
        (.helo, []),
        (.rcpt, ["i"]),
        (.data, []),
        (.endOfMessage, ["{x}"]),
    ])
    func visibility(stage: MilterStage, expected: [String]) throws {
        #expect(try Self.context(Self.macros).visibleMacros(stage) == expected)
    }

    @Test("symbol lists carry libmilter's SMFIM indices, deduplicated names, in SMFIM order")
    func symbolLists() throws {
        let lists = try Self.context(Self.macros).symbolLists.map { "\($0.stage)=\($0.names)" }
        #expect(lists == ["0={client_addr}", "3=i", "5={x}"])
    }

    @Test("a name that is empty or has white space is refused", arguments: ["a b", "", "a\tb", "a\u{1}b"])
    func refusedName(name: String) {
        #expect(throws: MilterError.self) { try Self.context([.mail: [name]]) }
    }
}
