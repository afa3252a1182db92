import RelayPolicy
import Testing

struct ReplyTemplateTests {
    @Test(arguments: [
        ("550 5.7.1 <%r>: no", "5", "550 5.7.1 <x@y>: no"),
        ("554 Relay denied", "5", "554 Relay denied"),
        ("450 4.7.1 try later", "4", "450 4.7.1 try later"),
        ("550 5.7.1 100%% <%r>", "5", "550 5.7.1 100% <x@y>"),
        ("550", "5", "550"),
        ("550 5.7.1 %r and %r", "5", "550 5.7.1 x@y and x@y"),
        ("550 5.7.1 %%r is not %r", "5", "550 5.7.1 %r is not x@y"),
        ("550 5.7.1 %r", "5", "550 5.7.1 x@y"),
        ("550 5.7.1 <%r>: %%%%", "5", "550 5.7.1 <x@y>: %%"),
        ("550 5.7.1 100%% sure", "5", "550 5.7.1 100% sure"),
        ("550 5.7.1 café <%r> ünïcode", "5", "550 5.7.1 café <x@y> ünïcode"),
        ("550 5.7.1 a %\u{301} stays", "5", "550 5.7.1 a %\u{301} stays"),
    ])
    func expands(source: String, replyClass: String, expected: String) throws {
        let template = try ReplyTemplate(parsing: source, class: Character(replyClass))
        #expect(template.expand(recipient: "x@y").description == expected)
    }

    @Test(arguments: [
        ("450 4.7.1 wrong class", "5"),      // libmilter drops a 4xx reply with a reject
        ("550 5.7.1 wrong class", "4"),
        ("550 4.7.1 mismatched enhanced code", "5"),
        ("55 short", "5"),
        ("5500 long", "5"),
        ("abc text", "5"),
        ("570 bad second digit", "5"),
        ("550 5.7 incomplete enhanced code", "5"),
        ("550 5.7.1 unknown %x escape", "5"),
        ("550 5.7.1 trailing %", "5"),
        ("", "5"),
    ])
    func refuses(source: String, replyClass: String) {
        #expect(throws: ReplyTemplate.ParseError.self) { try ReplyTemplate(parsing: source, class: Character(replyClass)) }
    }

    @Test(arguments: [
        ("a\r\nMAIL FROM:<x>@y", "550 5.7.1 <aMAIL FROM:<x>@y>: no"),
        ("tab\there\u{7F}", "550 5.7.1 <tabhere>: no"),
        ("\u{0}nul", "550 5.7.1 <nul>: no"),
        ("josé@exämple", "550 5.7.1 <josé@exämple>: no"),
        ("\u{85}nel", "550 5.7.1 <\u{85}nel>: no"),  // C1 controls are not ASCII; only ASCII ones go
        ("", "550 5.7.1 <>: no"),
    ])
    func recipientIsCopiedWithoutASCIIControls(recipient: String, expected: String) throws {
        let template = try ReplyTemplate(parsing: "550 5.7.1 <%r>: no", class: "5")
        #expect(template.expand(recipient: recipient).description == expected)
    }

    @Test func equalTemplatesCompareEqual() throws {
        #expect(try ReplyTemplate(parsing: "550 5.7.1 <%r>", class: "5") == ReplyTemplate(parsing: "550 5.7.1 <%r>", class: "5"))
        #expect(try ReplyTemplate(parsing: "550 5.7.1 <%r>", class: "5") != ReplyTemplate(parsing: "550 5.7.1 %r", class: "5"))
    }

    @Test func recipientControlCharactersNeverReachTheReply() {
        let reply = Policy().rerouteReply.expand(recipient: "a\r\nMAIL FROM:<x>@y")
        #expect(!reply.text.contains("\r") && !reply.text.contains("\n"))
    }
}
