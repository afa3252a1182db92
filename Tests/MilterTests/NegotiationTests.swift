import CMilter
import Testing

@testable import Milter

/// `negotiatedOptions`: never request what the MTA did not offer, skip the stages the milter ignores, keep DATA.
struct NegotiationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var offeredActions: UInt
        var offeredSteps: UInt
        var wantsMacros: Bool
        var noReplySteps: UInt = 0
        var expected: NegotiatedOptions
        var testDescription: String { name }
    }

    static let skipped = UInt(SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOBODY | SMFIP_NOUNKNOWN)

    static let cases: [Case] = [
        Case(name: "full offer: macros requested, headers/EOH/body/unknown skipped, DATA kept",
             offeredActions: 0x1FF, offeredSteps: 0x1FFFFF, wantsMacros: true,
             expected: NegotiatedOptions(actions: UInt(SMFIF_SETSYMLIST), steps: skipped, requestsMacros: true)),
        Case(name: "old MTA without SETSYMLIST or NOEOH/NOUNKNOWN: only what it offered",
             offeredActions: 0x3F, offeredSteps: 0x3F, wantsMacros: true,
             expected: NegotiatedOptions(actions: 0, steps: UInt(SMFIP_NOHDRS | SMFIP_NOBODY), requestsMacros: false)),
        Case(name: "no macros configured: no action requested",
             offeredActions: 0x1FF, offeredSteps: 0x1FFFFF, wantsMacros: false,
             expected: NegotiatedOptions(actions: 0, steps: skipped, requestsMacros: false)),
        Case(name: "unanswered connect, HELO and MAIL: their no-reply bits are requested",
             offeredActions: 0x1FF, offeredSteps: 0x1FFFFF, wantsMacros: true, noReplySteps: noReply,
             expected: NegotiatedOptions(actions: UInt(SMFIF_SETSYMLIST), steps: skipped | noReply, requestsMacros: true)),
        Case(name: "no-reply bits are requested even when not offered (libmilter answers for an MTA without them)",
             offeredActions: 0x3F, offeredSteps: 0x3F, wantsMacros: false, noReplySteps: noReply,
             expected: NegotiatedOptions(actions: 0, steps: UInt(SMFIP_NOHDRS | SMFIP_NOBODY) | noReply,
                                         requestsMacros: false)),
    ]

    static let noReply = UInt(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL)

    @Test(arguments: cases)
    func negotiation(_ testCase: Case) {
        let options = negotiatedOptions(offeredActions: testCase.offeredActions, offeredSteps: testCase.offeredSteps,
                                        wantsMacros: testCase.wantsMacros, noReplySteps: testCase.noReplySteps)
        #expect(options == testCase.expected)
    }

    @Test("the skipped steps are exactly headers, EOH, body and unknown (0x170), never DATA or a no-reply bit")
    func skippedSteps() {
        #expect(Milter.skippedSteps == 0x170)
        #expect(Milter.skippedSteps & UInt(SMFIP_NODATA) == 0)
    }
}
