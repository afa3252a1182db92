import PolicyDelegation
import Testing

/// A well-formed RCPT request as smtpd writes it, with `extra` lines before the empty line.
func rcptRequest(_ recipient: String = "alice@corp.example", extra: [String] = []) -> String {
    (["request=smtpd_access_policy", "protocol_state=RCPT", "protocol_name=ESMTP", "client_address=203.0.113.9",
      "client_name=unknown", "sender=a@outside.example", "recipient=\(recipient)", "queue_id=", "instance=1a2b.1.1",
      "sasl_username="] + extra).joined(separator: "\n") + "\n\n"
}

struct FramingCase: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [UInt8]
    let expected: [Expected]
    var testDescription: String { name }

    enum Expected: Sendable, Equatable {
        case request(recipient: String?)
        case malformed(PolicyRequestError)
    }

    init(_ name: String, _ text: String, _ expected: [Expected]) {
        self.init(name, Array(text.utf8), expected)
    }

    init(_ name: String, _ bytes: [UInt8], _ expected: [Expected]) {
        self.name = name
        self.input = bytes
        self.expected = expected
    }
}

@Suite("Policy request framing: lines, empty line, limits")
struct PolicyRequestFramerTests {
    static let long = String(repeating: "x", count: 9_000)

    static let cases: [FramingCase] = [
        FramingCase("one request", rcptRequest(), [.request(recipient: "alice@corp.example")]),
        FramingCase("two requests on one connection", rcptRequest() + rcptRequest("bob@corp.example"),
                    [.request(recipient: "alice@corp.example"), .request(recipient: "bob@corp.example")]),
        FramingCase("no empty line yet: nothing to answer", "request=smtpd_access_policy\nrecipient=a@b\n", []),
        FramingCase("a stray empty line between requests is not a request", "\n" + rcptRequest(),
                    [.request(recipient: "alice@corp.example")]),
        FramingCase("CRLF lines", rcptRequest().split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n"),
                    [.request(recipient: "alice@corp.example")]),
        FramingCase("a value may contain =", rcptRequest("\"a=b\"@corp.example"), [.request(recipient: "\"a=b\"@corp.example")]),
        FramingCase("a line without =", rcptRequest(extra: ["garbage"]), [.malformed(.missingEquals(line: 11))]),
        FramingCase("a line without a name", rcptRequest(extra: ["=x"]), [.malformed(.emptyName(line: 11))]),
        FramingCase("a line over 8 KiB", rcptRequest(extra: ["x=" + long]), [.malformed(.lineTooLong(line: 11, limit: 8_192))]),
        FramingCase("a repeated recipient", rcptRequest(extra: ["recipient=bob@elsewhere.example"]),
                    [.malformed(.duplicateAttribute(name: "recipient", line: 11))]),
        FramingCase("an attribute RelayGuard does not read, repeated, is not looked at",
                    rcptRequest(extra: ["ccert_subject=a", "ccert_subject=b"]), [.request(recipient: "alice@corp.example")]),
        FramingCase("a UTF-8 recipient", rcptRequest("jörg@corp.example"), [.request(recipient: "jörg@corp.example")]),
        FramingCase("non-UTF-8 bytes in a kept attribute",
                    Array("request=smtpd_access_policy\nrecipient=a".utf8) + [0xC3, 0x28] + Array("@corp.example\n\n".utf8),
                    [.malformed(.notUTF8(line: 2))]),
        FramingCase("too many attributes", rcptRequest(extra: (0..<300).map { "x\($0)=1" }),
                    [.malformed(.tooManyAttributes(limit: 256))]),
        FramingCase("the first error is reported", rcptRequest(extra: ["garbage", "=x"]), [.malformed(.missingEquals(line: 11))]),
        FramingCase("a bad request does not take the next one down", rcptRequest(extra: ["garbage"]) + rcptRequest("bob@corp.example"),
                    [.malformed(.missingEquals(line: 11)), .request(recipient: "bob@corp.example")]),
        FramingCase("an over-long line does not take the next request down",
                    rcptRequest(extra: ["x=" + long]) + rcptRequest("bob@corp.example"),
                    [.malformed(.lineTooLong(line: 11, limit: 8_192)), .request(recipient: "bob@corp.example")]),
        FramingCase("non-UTF-8 bytes", Array(rcptRequest().utf8.dropLast()) + Array("recipient2=".utf8) + [0xFF, 0x0A, 0x0A],
                    [.malformed(.notUTF8(line: 11))]),
    ]

    @Test(arguments: cases)
    func framing(_ framingCase: FramingCase) {
        var framer = PolicyRequestFramer()
        let events = framer.feed(framingCase.input).map { event -> FramingCase.Expected in
            switch event {
            case .request(let request): .request(recipient: request["recipient"])
            case .malformed(let error, _): .malformed(error)
            }
        }
        #expect(events == framingCase.expected)
    }

    @Test("bytes split anywhere give the same requests", arguments: [1, 2, 7, 64, 8_193])
    func split(_ chunk: Int) {
        let input = Array((rcptRequest(extra: ["x=" + Self.long]) + rcptRequest() + rcptRequest("bob@corp.example")).utf8)
        var framer = PolicyRequestFramer()
        var events: [PolicyRequestFramer.Event] = []
        var start = 0
        while start < input.count {
            framer.feed(input[start..<min(start + chunk, input.count)]) { events.append($0) }
            start += chunk
        }
        #expect(events.count == 3)
        #expect(events.first.map { if case .malformed(.lineTooLong, _) = $0 { true } else { false } } == true)
        let recipients: [String?] = events.dropFirst().map { if case .request(let r) = $0 { r["recipient"] } else { nil } }
        #expect(recipients == ["alice@corp.example", "bob@corp.example"])
        #expect(!framer.hasPartialRequest)
    }

    @Test("every kept attribute is read under its name; a name that differs in one byte is not kept",
          arguments: PolicyRequest.Name.allCases)
    func keptNames(_ name: PolicyRequest.Name) {
        let nearMiss = String(name.rawValue.dropLast()) + (name.rawValue.last == "x" ? "y" : "x")
        var framer = PolicyRequestFramer()
        let events = framer.feed(Array("\(name.rawValue)=kept\n\(nearMiss)=other\n\n".utf8))
        guard case .request(let request)? = events.first, events.count == 1 else {
            Issue.record("expected one request, got \(events)")
            return
        }
        #expect(request[name] == "kept")
        #expect(request[nearMiss] == nil)
        #expect(request.count == 2)
        #expect(request.attributes == [name.rawValue: "kept"])
    }

    /// The ASCII check reads a line eight bytes at a time, then the rest byte by byte: every position is checked.
    @Test("a byte over 0x7F is checked wherever it lies in a line", arguments: 0..<20)
    func nonASCIIPosition(_ position: Int) {
        func value(_ bytes: [UInt8]) -> [UInt8] {
            Array(repeating: 0x61, count: position) + bytes + Array(repeating: 0x61, count: 20 - position)
        }
        let head = Array(rcptRequest().utf8.dropLast())
        var framer = PolicyRequestFramer()
        let invalid = framer.feed(head + Array("x=".utf8) + value([0xFF]) + [0x0A, 0x0A])
        guard case .malformed(.notUTF8(line: 11), _)? = invalid.first, invalid.count == 1 else {
            Issue.record("a 0xFF at \(position) of an unread attribute: \(invalid)")
            return
        }
        let valid = framer.feed(head + Array("x=".utf8) + value([0xC3, 0xA9]) + [0x0A, 0x0A])
        guard case .request? = valid.first, valid.count == 1 else {
            Issue.record("an é at \(position) of an unread attribute: \(valid)")
            return
        }
        let recipient = String(decoding: value([0xC3, 0xA9]), as: UTF8.self) + "@corp.example"
        let kept = framer.feed(Array(rcptRequest(recipient).utf8))
        guard case .request(let request)? = kept.first, kept.count == 1 else {
            Issue.record("an é at \(position) of the recipient: \(kept)")
            return
        }
        #expect(request[.recipient] == recipient)
    }

    @Test("a peer that closes mid-request left one unanswered")
    func partial() {
        var framer = PolicyRequestFramer()
        #expect(framer.feed(Array("request=smtpd_access_policy\nrecip".utf8)).isEmpty)
        #expect(framer.hasPartialRequest)
    }

    @Test("a line that never ends is not kept whole")
    func endlessLine() {
        var framer = PolicyRequestFramer(maxLineBytes: 16)
        for _ in 0..<1_000 { #expect(framer.feed(Array(repeating: 0x41, count: 1_000)).isEmpty) }
        let events = framer.feed(Array("\nrequest=smtpd_access_policy\n\n".utf8))
        #expect(events.count == 1)
        if case .malformed(let error, let partial)? = events.first {
            #expect(error == .lineTooLong(line: 1, limit: 16))
            #expect(partial.count == 0)
        } else {
            Issue.record("expected a malformed request, got \(events)")
        }
    }
}
