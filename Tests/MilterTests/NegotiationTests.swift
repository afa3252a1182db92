import CMilter
import Testing

@testable import Milter

/// `negotiatedOptions`: never request what the MTA did not offer, skip the stages the milter ignores, keep DATA, and
/// always leave connect, HELO and MAIL unanswered.
struct NegotiationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var offeredActions: UInt
        var offeredSteps: UInt
        var wantsMacros: Bool
        var expected: NegotiatedOptions
        var testDescription: String { name }
    }

    static let skipped = UInt(SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN)

    static let cases: [Case] = [
        Case(name: "full offer: macros requested, headers/EOH/body/unknown skipped, DATA kept, connect/HELO/MAIL no reply",
             offeredActions: 0x1FF, offeredSteps: 0x1FFFFF, wantsMacros: true,
             expected: NegotiatedOptions(actions: UInt(SMFIF_SETSYMLIST), steps: skipped | noReply, requestsMacros: true)),
        Case(name: "old MTA without SETSYMLIST, NOEOH/NOUNKNOWN or NR bits: what it offered, and the no-reply bits "
                 + "(libmilter answers continue for an MTA without them)",
             offeredActions: 0x3F, offeredSteps: 0x3F, wantsMacros: true,
             expected: NegotiatedOptions(actions: 0, steps: UInt(SMFIP_NOHDRS | SMFIP_NOBODY) | noReply,
                                         requestsMacros: false)),
        Case(name: "no macros configured: no action requested",
             offeredActions: 0x1FF, offeredSteps: 0x1FFFFF, wantsMacros: false,
             expected: NegotiatedOptions(actions: 0, steps: skipped | noReply, requestsMacros: false)),
    ]

    static let noReply = UInt(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL)

    @Test(arguments: cases)
    func negotiation(_ testCase: Case) {
        let options = negotiatedOptions(offeredActions: testCase.offeredActions, offeredSteps: testCase.offeredSteps,
                                        wantsMacros: testCase.wantsMacros)
        #expect(options == testCase.expected)
    }

    @Test("the skipped steps are exactly headers, EOH, body and unknown (0x170), never DATA or a no-reply bit")
    func skippedSteps() {
        #expect(Milter.skippedSteps == 0x170)
        #expect(Milter.skippedSteps & UInt(SMFIP_NODATA) == 0)
    }

    @Test("exactly connect, HELO and MAIL go unanswered (0x7000): RCPT, DATA and end of message are always answered")
    func noReplySteps() {
        #expect(Milter.noReplySteps == 0x7000)
        #expect(Milter.noReplySteps & UInt(SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_EOH | SMFIP_NR_HDR | SMFIP_NR_BODY) == 0)
    }
}
