import Foundation
@testable import MailLogAudit
import RelayPolicy
import Testing

/// A Postfix session in the three syslog layouts the audit reads: an outside client submits an IMCEA recipient and a
/// percent hack (rewritten by Postfix, so only orig_to shows it) that were both delivered, a plain one, and probes
/// refused by RelayGuard and by Postfix.
enum SampleLog {
    static let messages = [
        "postfix/smtpd[100]: 4ABC1: client=unknown[203.0.113.9]",
        "postfix/cleanup[101]: 4ABC1: message-id=<x@y>",
        "postfix/qmgr[102]: 4ABC1: from=<a@outside.example>, size=300, nrcpt=3 (queue active)",
        "postfix/smtp[103]: 4ABC1: to=<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>, relay=exchange.corp.example[192.0.2.25]:25, delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 OK)",
        "postfix/smtp[103]: 4ABC1: to=<victim@elsewhere.com>, orig_to=<victim%elsewhere.com@corp.example>, relay=exchange.corp.example[192.0.2.25]:25, delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 OK)",
        "postfix/smtp[103]: 4ABC1: to=<alice@corp.example>, relay=exchange.corp.example[192.0.2.25]:25, delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 OK)",
        "postfix/qmgr[102]: 4ABC1: removed",
        "postfix/smtpd[100]: NOQUEUE: milter-reject: RCPT from unknown[198.51.100.7]: 550 5.7.1 <IMCEASMTP-x+40y+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed; from=<p@outside.example> to=<IMCEASMTP-x+40y+2Ecom@corp.example> proto=ESMTP helo=<probe>",
        "postfix/smtpd[100]: NOQUEUE: milter-reject: RCPT from unknown[198.51.100.7]: 550 5.7.1 <b!a@corp.example>: encapsulated or routed address rejected: rerouting is not allowed; from=<p@outside.example> to=<b!a@corp.example> proto=ESMTP helo=<probe>",
        "postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[198.51.100.7]: 554 5.7.1 <bob@elsewhere.example>: Relay access denied; from=<p@outside.example> to=<bob@elsewhere.example> proto=ESMTP helo=<probe>",
        "postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[203.0.113.77]: 550 5.1.1 <nobody@corp.example>: Recipient address rejected: User unknown in relay recipient table; from=<p@outside.example> to=<nobody@corp.example> proto=ESMTP helo=<probe>",
        "dovecot[55]: lmtp(alice): to=<IMCEASMTP-not+40postfix@corp.example> saved",
    ]

    /// rsyslog's traditional file format.
    static let traditional = messages.enumerated().map { "Dec  1 21:50:\(10 + $0.offset) gw \($0.element)" }.joined(separator: "\n") + "\n"
    /// rsyslog's RFC 3339 format (Debian 12's default).
    static let rfc3339 = messages.enumerated().map { "2026-12-01T21:50:\(10 + $0.offset).123456+01:00 gw \($0.element)" }.joined(separator: "\n") + "\n"
    /// Postfix's own maillog_file (and journalctl -o short).
    static let maillogFile = messages.enumerated().map { "Dec 01 21:50:\(10 + $0.offset) gw \($0.element)" }.joined(separator: "\n") + "\n"

    /// journalctl -o export of the same messages.
    static var journalExport: String {
        messages.enumerated().map { index, text in
            let colon = text.firstIndex(of: ":")!
            let tag = text[..<colon].split(separator: "[").first!
            return """
                __CURSOR=s=1;i=\(index)
                __REALTIME_TIMESTAMP=\(1_796_161_810_000_000 + index * 1_000_000)
                PRIORITY=6
                SYSLOG_IDENTIFIER=\(tag)
                MESSAGE=\(text[text.index(colon, offsetBy: 2)...])
                _HOSTNAME=gw


                """
        }.joined().replacingOccurrences(of: "\n\n\n", with: "\n\n")
    }
}

func audit(_ text: String, since: Int? = nil) throws -> AuditReport {
    let path = NSTemporaryDirectory() + "relayguard-audit-\(UUID().uuidString).log"
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    var auditor = Auditor(policy: Policy(), since: since, now: 1_796_161_810)
    try LogFile.withDescriptor(path) { (fd: Int32) throws(AuditError) in try auditor.read(fd, name: "sample") }
    return auditor.finished()
}

@Suite("audit: Postfix logs")
struct AuditorTests {
    @Test("the same deliveries and refusals from every log layout",
          arguments: [("traditional", SampleLog.traditional), ("rfc3339", SampleLog.rfc3339),
                      ("maillog_file", SampleLog.maillogFile), ("journal export", SampleLog.journalExport)])
    func layouts(_ name: String, _ text: String) throws {
        let report = try audit(text)
        #expect(report.deliveryCount == 2, "\(name): \(report.deliveries)")
        let imcea = try #require(report.deliveries.first)
        #expect(imcea.queueID == "4ABC1")
        #expect(imcea.client == "203.0.113.9")
        #expect(imcea.recipient == "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example")
        #expect(imcea.family == "imcea:SMTP")
        #expect(imcea.decodesTo == "victim@elsewhere.com")
        #expect(imcea.relay == "exchange.corp.example[192.0.2.25]:25")
        #expect(imcea.status == "sent")
        let percent = try #require(report.deliveries.last)
        #expect(percent.recipient == "victim@elsewhere.com")
        #expect(percent.originalRecipient == "victim%elsewhere.com@corp.example")
        #expect(percent.family == "percent-hack")
        #expect(percent.client == "203.0.113.9")

        #expect(report.refusals == [AuditReport.ClientRefusals(
            client: "198.51.100.7", relayGuard: 2, relayDenied: 1,
            families: ["imcea:SMTP": 1, "bang-path": 1, "plain": 1])])
        #expect(report.refusalsByFamily == ["imcea:SMTP": 1, "bang-path": 1, "plain": 1])
        // Lines read; the journal's are its fields (the empty lines between entries are not counted).
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(report.lines == (name == "journal export" ? lines.filter { !$0.isEmpty }.count : lines.count))
    }

    @Test("a binary journal field is skipped by its length: text inside it is never read as fields")
    func journalBinaryField() throws {
        // What `logger --journald` can store for a local user: a MESSAGE with line breaks, exported in binary form.
        let forged = Array("a\n\nMESSAGE=Q1: to=<IMCEASMTP-v+40e+2Ecom@corp.test>, relay=x, delay=1, status=sent (ok)\nSYSLOG_IDENTIFIER=postfix/smtp\n".utf8)
        var bytes = Array("__CURSOR=s=1\n__REALTIME_TIMESTAMP=1796161810000000\nSYSLOG_IDENTIFIER=postfix/smtp\nMESSAGE\n".utf8)
        bytes += withUnsafeBytes(of: UInt64(forged.count).littleEndian, Array.init)
        bytes += forged + [0x0A, 0x0A]
        let text = String(decoding: bytes, as: UTF8.self) + SampleLog.journalExport
        let report = try audit(text)
        #expect(report.deliveries.map(\.recipient) == ["IMCEASMTP-victim+40elsewhere+2Ecom@corp.example", "victim@elsewhere.com"])
    }

    @Test("the traditional timestamp is shown as logged, the journal's as UTC")
    func times() throws {
        #expect(try audit(SampleLog.traditional).deliveries.first?.time == "Dec  1 21:50:13")
        #expect(try audit(SampleLog.rfc3339).deliveries.first?.time == "2026-12-01T21:50:13.123456+01:00")
        #expect(try audit(SampleLog.journalExport).deliveries.first?.time == Auditor.isoTime(1_796_161_813_000_000))
    }

    @Test("--since skips what came before, by the log's own clock")
    func since() throws {
        let cut = try #require(WallClock.parse("2026-12-01 21:50:14"))
        let report = try audit(SampleLog.rfc3339, since: cut)
        #expect(report.deliveries.map(\.recipient) == ["victim@elsewhere.com"])
        // The client= line was skipped too: the join has nothing to go on.
        #expect(report.deliveries.first?.client == nil)
        #expect(try audit(SampleLog.rfc3339, since: WallClock.parse("2026-12-02")).deliveryCount == 0)
    }

    @Test("a queue id is forgotten after maximumQueueIDs newer ones; memory stays bounded")
    func queueTableIsBounded() throws {
        var lines = ["Dec  1 10:00:00 gw postfix/smtpd[1]: OLD1: client=unknown[192.0.2.1]"]
        for index in 0..<Auditor.maximumQueueIDs {
            lines.append("Dec  1 10:00:01 gw postfix/smtpd[1]: Q\(index): client=unknown[192.0.2.2]")
        }
        let delivered = ", relay=x[192.0.2.25]:25, delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (250 OK)"
        lines.append("Dec  1 10:00:02 gw postfix/smtp[2]: OLD1: to=<a%b@corp.example>\(delivered)")
        lines.append("Dec  1 10:00:02 gw postfix/smtp[2]: Q\(Auditor.maximumQueueIDs - 1): to=<c%d@corp.example>\(delivered)")
        let report = try audit(lines.joined(separator: "\n") + "\n")
        #expect(report.deliveries.map(\.client) == [nil, "192.0.2.2"])
    }

    @Test("lines that are not Postfix's, or garbage, are read past")
    func garbage() throws {
        let text = "\u{0}\u{1}\n\n" + String(repeating: "x", count: 200_000) + "\nDec  1 gw\n"
            + SampleLog.traditional
        #expect(try audit(text).deliveryCount == 2)
    }

    @Test(arguments: [
        ("2026-12-01", 1_796_083_200), ("2026-12-01 21:50", 1_796_161_800), ("2026-12-01T21:50:10", 1_796_161_810),
    ])
    func wallClock(_ text: String, _ seconds: Int) {
        #expect(WallClock.parse(text) == seconds)
    }

    @Test(arguments: ["2026-13-01", "yesterday", "2026-12-01 25:00", "2026-12-1"])
    func badSince(_ text: String) {
        #expect(WallClock.parse(text) == nil)
    }
}
