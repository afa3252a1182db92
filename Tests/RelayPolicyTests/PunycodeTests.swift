@testable import RelayPolicy
import Testing

/// The decoder behind the Postfix model's A-label check, on RFC 3492's own samples (section 7.1, lower-cased as UTS 46
/// maps them before decoding) and on what it must refuse.
struct PunycodeTests {
    @Test(arguments: [
        ("egbpdaj6bu4bxfgehfvwxn", "ليهمابتكلموشعربي؟"),            // (A) Arabic (Egyptian)
        ("ihqwcrb4cv8a8dqg056pqjye", "他们为什么不说中文"),             // (B) Chinese (simplified)
        ("ihqwctvzc91f659drss3x8bo0yb", "他們爲什麽不說中文"),          // (C) Chinese (traditional)
        ("d9juau41awczczp", "そのスピードで"),                          // (R) Japanese
        ("3b-ww4c5e180e575a65lsy2b", "3年b組金八先生"),                // (L), lower-cased
        ("-with-super-monkeys-pc58ag80a8qai00g7n9n", "安室奈美恵-with-super-monkeys"), // (M), lower-cased
        ("bcher-kva", "bücher"),
        ("abc-", "abc"),                                               // basic code points only
    ])
    func rfc3492Samples(_ encoded: String, _ decoded: String) {
        #expect(Punycode.decode(encoded).map { String(String.UnicodeScalarView($0)) } == decoded)
    }

    @Test("invalid Punycode decodes to nothing", arguments: [
        "ab+c",          // a character that is no digit
        "z",             // a digit sequence cut short (z asks for another)
        "99999999999",   // digits that never end a number: an overflow before the input ends
    ])
    func invalid(_ encoded: String) {
        #expect(Punycode.decode(encoded) == nil)
    }
}
