import Testing

/// One private Postfix for a whole suite: `@Suite(.sharedPostfix())`, then `try SharedPostfix.current()` in tests.
///
/// Starting Postfix costs about a second, so a suite whose tests only need the default gateway shares one. The
/// suite's tests still run in parallel against it: give each test its own sender address and read the sink with
/// `messages(from:)`.
struct SharedPostfixTrait: SuiteTrait, TestScoping {
    let options: PostfixOptions

    /// Once around the suite, not around each test.
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withPostfix(options) { postfix in
            try await SharedPostfix.$instance.withValue(postfix) {
                try await function()
            }
        }
    }
}

extension Trait where Self == SharedPostfixTrait {
    static func sharedPostfix(_ options: PostfixOptions = PostfixOptions()) -> SharedPostfixTrait {
        SharedPostfixTrait(options: options)
    }
}

enum SharedPostfix {
    @TaskLocal static var instance: PostfixInstance?

    static func current() throws -> PostfixInstance {
        guard let instance else {
            throw HarnessError("no shared Postfix: add .sharedPostfix() to the suite")
        }
        return instance
    }
}
