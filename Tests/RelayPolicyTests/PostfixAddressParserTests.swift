import RelayPolicy
import Testing

/// The Postfix parse model on forms whose outcome Postfix's source fixes; every corpus row is also compared with a
/// real Postfix in `PostfixParseDifferentialTests`.
struct PostfixAddressParserTests {
    static let settings = PostfixAddressParser.Settings(myhostname: "gateway.test", localAddresses: [IPAddress("127.0.0.1")!])

    @Test(arguments: [
        ("<alice@corp.example>", "<alice@corp.example>", "alice@corp.example"),
        ("<Alice@Corp.Example>", "<Alice@Corp.Example>", "alice@corp.example"),
        ("alice@corp.example", "alice@corp.example", "alice@corp.example"),
        (" <alice@corp.example>", "<alice@corp.example>", "alice@corp.example"),
        ("<<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>>", "<<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>>",
         "imceasmtp-victim+40elsewhere+2ecom@corp.example"),
        ("<Joe <alice@corp.example>>", "<Joe <alice@corp.example>>", "alice@corp.example"),
        ("<\"Joe\" <alice@corp.example>>", "<\"Joe\" <alice@corp.example>>", "alice@corp.example"),
        ("<(c)IMCEASMTP-x@corp.example>", "<(c)IMCEASMTP-x@corp.example>", "imceasmtp-x@corp.example"),
        ("<IMCEA\\SMTP-x@corp.example>", "<IMCEA\\SMTP-x@corp.example>", "imceasmtp-x@corp.example"),
        ("<,alice@corp.example>", "<,alice@corp.example>", "alice@corp.example"),
        ("<alice@corp.example.>", "<alice@corp.example.>", "alice@corp.example"),
        ("<@hop.example:alice@corp.example>", "<@hop.example:alice@corp.example>", "alice@corp.example"),
        ("<postmaster>", "<postmaster>", "postmaster@gateway.test"),
        ("<victim%elsewhere.com>", "<victim%elsewhere.com>", "victim@elsewhere.com"),
        ("<elsewhere.com!victim>", "<elsewhere.com!victim>", "victim@elsewhere.com"),
        ("<\"victim@elsewhere.com\"@[127.0.0.1]>", "<\"victim@elsewhere.com\"@[127.0.0.1]>", "victim@elsewhere.com"),
        ("<\"a b\"@corp.example>", "<\"a b\"@corp.example>", "\"a b\"@corp.example"),
        ("<alice@corp.example> NOTIFY=NEVER", "<alice@corp.example>", "alice@corp.example"),
        ("<alice-@corp.example>", "<alice-@corp.example>", "alice-@corp.example"),
        ("<a@é_.example>", "<a@é_.example>", "a@é_.example"),
        ("<a@é--x.example>", "<a@é--x.example>", "a@é--x.example"),
    ])
    func parses(argument: String, milterArgument: String, rcptAddr: String) {
        #expect(PostfixAddressParser.parse(rcptArgument: argument, settings: Self.settings)
                == .parsed(argument: milterArgument, rcptAddr: rcptAddr))
    }

    @Test(arguments: [
        ("<>", "501 5.1.3 Bad recipient address syntax"),
        ("<a@b.example> <c@d.example>", "555 5.5.4 Unsupported option: <c@d.example>"),
        ("<a@b.example, c@d.example>", "501 5.1.3 Bad recipient address syntax"),
        ("<alice@corp.example", "501 5.1.3 Bad recipient address syntax"),
        ("<alice@-corp.example>", "501 5.1.3 Bad recipient address syntax"),
        ("<alice@[300.1.2.3]>", "501 5.1.3 Bad recipient address syntax"),
        ("", "501 5.5.4 Syntax: RCPT TO:<address>"),
        ("<alice@corp.example> FOO=BAR", "555 5.5.4 Unsupported option: FOO=BAR"),
        // allow_min_user = no: the resolved address, not the argument, must not start with `-`.
        ("<-alice@corp.example>", "501 5.1.3 Bad recipient address syntax"),
        ("<\"-alice\"@corp.example>", "501 5.1.3 Bad recipient address syntax"),
        ("<-alice%elsewhere.com>", "501 5.1.3 Bad recipient address syntax"),
        ("<elsewhere.com!-alice>", "501 5.1.3 Bad recipient address syntax"),
        ("<\t:;->", "501 5.1.3 Bad recipient address syntax"),
        // A domain with a U-label: hyphens in its labels' places 3 and 4 are an IDNA error, whatever the label.
        ("<a@éé--x.example>", "501 5.1.3 Bad recipient address syntax"),
        ("<a@ab--cd.é.example>", "501 5.1.3 Bad recipient address syntax"),
        ("<a@é+x.example>", "501 5.1.3 Bad recipient address syntax"),
    ])
    func refuses(argument: String, reply: String) {
        #expect(PostfixAddressParser.parse(rcptArgument: argument, settings: Self.settings) == .refused(reply: reply))
    }

    @Test("allow_min_user = yes: a leading `-` passes")
    func allowMinUser() {
        var settings = Self.settings
        settings.allowMinUser = true
        #expect(PostfixAddressParser.parse(rcptArgument: "<-alice@corp.example>", settings: settings)
                == .parsed(argument: "<-alice@corp.example>", rcptAddr: "-alice@corp.example"))
    }
}
