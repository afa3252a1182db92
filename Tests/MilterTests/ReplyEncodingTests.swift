import Testing

@testable import Milter

/// `MilterReply.encoded(for:)`: what reaches `smfi_setreply`, and which replies are dropped rather than sent malformed.
struct ReplyEncodingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var code: String
        var xcode: String?
        var text: String
        var replyClass: ReplyClass
        /// nil: the reply must be refused.
        var expected: EncodedReply?
        var testDescription: String { name }
    }

    static func accepted(_ name: String, _ code: String, _ xcode: String?, _ text: String, _ replyClass: ReplyClass,
                         as encodedText: String?) -> Case {
        Case(name: name, code: code, xcode: xcode, text: text, replyClass: replyClass,
             expected: EncodedReply(code: code, xcode: xcode, text: encodedText))
    }

    static func refused(_ name: String, _ code: String, _ xcode: String?, _ text: String,
                        _ replyClass: ReplyClass) -> Case {
        Case(name: name, code: code, xcode: xcode, text: text, replyClass: replyClass, expected: nil)
    }

    static let cases: [Case] = [
        accepted("% is doubled for the MTA", "550", "5.7.1", "<a@b> rejected 100%", .permanent,
                 as: "<a@b> rejected 100%%"),
        accepted("CR and LF become spaces", "550", "5.7.1", "a\r\nb", .permanent, as: "a  b"),
        accepted("3-digit subject and detail", "550", "5.123.456", "x", .permanent, as: "x"),
        accepted("empty text is sent as NULL", "550", "5.7.1", "", .permanent, as: nil),
        accepted("tab and UTF-8 pass", "550", nil, "tab\there ünïcode", .permanent, as: "tab\there ünïcode"),
        accepted("980 bytes, libmilter's maximum", "550", nil, String(repeating: "a", count: 980), .permanent,
                 as: String(repeating: "a", count: 980)),
        accepted("4xx with tempfail", "451", "4.3.0", "later", .transient, as: "later"),
        refused("4xx code for a reject", "450", "4.7.1", "x", .permanent),
        refused("5xx code for a tempfail", "550", "5.7.1", "x", .transient),
        refused("xcode class differs from the code", "451", "5.7.1", "x", .transient),
        refused("2-digit code", "55", nil, "x", .permanent),
        refused("non-digit code", "5a0", nil, "x", .permanent),
        refused("xcode with two parts", "550", "5.7", "x", .permanent),
        refused("xcode detail of 4 digits", "550", "5.7.1000", "x", .permanent),
        refused("xcode subject of 4 digits", "550", "5.1234.1", "x", .permanent),
        refused("xcode with an empty subject", "550", "5..1", "x", .permanent),
        refused("xcode with an empty detail", "550", "5.7.", "x", .permanent),
        refused("xcode class of two digits", "550", "55.7.1", "x", .permanent),
        refused("xcode with four parts", "550", "5.7.1.2", "x", .permanent),
        refused("xcode with a letter", "550", "5.7.a", "x", .permanent),
        accepted("text with both % and CRLF", "550", "5.7.1", "50%\r\nnow", .permanent, as: "50%%  now"),
        refused("text starting with a digit and no xcode", "550", nil, "5 recipients", .permanent),
        refused("NUL in the text", "550", nil, "a\u{0}b", .permanent),
        refused("BEL in the text", "550", nil, "a\u{7}b", .permanent),
        refused("over 980 bytes once % is doubled", "550", nil, String(repeating: "%", count: 491), .permanent),
    ]

    @Test(arguments: cases)
    func encoding(_ testCase: Case) {
        let reply = MilterReply(code: testCase.code, xcode: testCase.xcode, text: testCase.text)
        #expect(reply.encoded(for: testCase.replyClass) == testCase.expected)
    }
}
