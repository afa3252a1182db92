#if canImport(Glibc)
import Glibc
#endif

// Writes a Postfix mail log of about the requested size to standard output, in rsyslog's traditional format, with the
// line mix of a busy gateway: per accepted message connect, TLS, client=, cleanup, qmgr, delivery, removed and
// disconnect lines; one connection in six refused at RCPT by Postfix; one in forty by a milter (RelayGuard); one
// message in five hundred delivered to an encapsulated or percent-hack recipient. Deterministic (a fixed LCG), so
// two runs write the same bytes.
//   relayguard-auditlog-gen MEGABYTES > mail.log

let megabytes = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1024 : 1024
let target = megabytes * 1_048_576
var state: UInt64 = 0x9E37_79B9_7F4A_7C15
@MainActor func next(_ bound: Int) -> Int {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Int((state >> 33) % UInt64(bound))
}

var buffer: [UInt8] = []
buffer.reserveCapacity(1 << 20)
var written = 0
@MainActor func emit(_ line: String) {
    buffer.append(contentsOf: line.utf8)
    buffer.append(0x0A)
    if buffer.count >= 1 << 20 { flush() }
}
@MainActor func flush() {
    buffer.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let count = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if count <= 0 { exit(1) }
            offset += count
        }
    }
    written += buffer.count
    buffer.removeAll(keepingCapacity: true)
}

let months = ["Nov", "Dec"]
var second = 0
var queueSerial = 0x4A0000
let domains = ["corp.example", "sales.corp.example", "corp.example"]
let names = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
while written + buffer.count < target {
    second += next(3)
    let stamp = "\(months[(second / 2_592_000) % 2]) \(String(1 + (second / 86_400) % 28).leftPadded(2)) \(two((second / 3600) % 24)):\(two((second / 60) % 60)):\(two(second % 60)) mx1"
    let pid = 1000 + next(30000)
    let client = "\(next(223) + 1).\(next(256)).\(next(256)).\(next(254) + 1)"
    let host = next(3) == 0 ? "unknown" : "mail\(next(999)).sender\(next(9999)).example"
    emit("\(stamp) postfix/smtpd[\(pid)]: connect from \(host)[\(client)]")
    emit("\(stamp) postfix/smtpd[\(pid)]: Anonymous TLS connection established from \(host)[\(client)]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)")
    let kind = next(1000)
    if kind < 166 {
        emit("\(stamp) postfix/smtpd[\(pid)]: NOQUEUE: reject: RCPT from \(host)[\(client)]: 554 5.7.1 <\(names[next(8)])@elsewhere\(next(99)).example>: Relay access denied; from=<spam@\(host)> to=<\(names[next(8)])@elsewhere.example> proto=ESMTP helo=<\(host)>")
    } else if kind < 191 {
        emit("\(stamp) postfix/smtpd[\(pid)]: NOQUEUE: milter-reject: RCPT from \(host)[\(client)]: 550 5.7.1 <IMCEASMTP-victim\(next(99))+40elsewhere+2Ecom@corp.example>: encapsulated or routed address rejected: rerouting is not allowed; from=<probe@\(host)> to=<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example> proto=ESMTP helo=<\(host)>")
    } else {
        queueSerial += 1 + next(16)
        let queueID = String(queueSerial, radix: 16, uppercase: true)
        let abuse = next(500) == 0
        let recipient = abuse ? (next(2) == 0 ? "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example" : "victim%elsewhere.com@corp.example")
                              : "\(names[next(8)]).\(names[next(8)])@\(domains[next(3)])"
        emit("\(stamp) postfix/smtpd[\(pid)]: \(queueID): client=\(host)[\(client)]")
        emit("\(stamp) postfix/cleanup[\(pid + 1)]: \(queueID): message-id=<\(next(1_000_000_000)).\(next(100_000))@\(host)>")
        emit("\(stamp) postfix/qmgr[812]: \(queueID): from=<\(names[next(8)])@\(host)>, size=\(1000 + next(90_000)), nrcpt=1 (queue active)")
        emit("\(stamp) postfix/smtp[\(pid + 2)]: \(queueID): to=<\(recipient)>, relay=exchange.corp.example[192.0.2.25]:25, delay=0.\(next(99)), delays=0.0\(next(9))/0/0.0\(next(9))/0.\(next(99)), dsn=2.0.0, status=sent (250 2.6.0 <\(next(1_000_000))@\(host)> [InternalId=\(next(1_000_000_000))] Queued mail for delivery)")
        emit("\(stamp) postfix/qmgr[812]: \(queueID): removed")
    }
    emit("\(stamp) postfix/smtpd[\(pid)]: disconnect from \(host)[\(client)] ehlo=1 starttls=1 mail=1 rcpt=\(kind < 191 ? "0/1" : "1") data=\(kind < 191 ? "0" : "1") quit=1 commands=\(kind < 191 ? "4/5" : "6")")
}
flush()

func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
