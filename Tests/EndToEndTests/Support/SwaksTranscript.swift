/// The SMTP dialogue read back from swaks's default transcript.
///
/// swaks marks what it sent with ` -> ` and what it received with `<- ` (success) or `<** ` (failure); a
/// multi-line reply repeats the code with `-` until the last line. Message body lines are sent with ` -> ` too;
/// the reply after the final ` -> .` belongs to the end of data.
struct SwaksTranscript: Sendable {
    /// One command and the reply to it, in dialogue order. The greeting has command "".
    struct Exchange: Sendable {
        let command: String
        let reply: SMTPReply
    }

    let exchanges: [Exchange]

    init(parsing transcript: String) {
        var exchanges: [Exchange] = []
        var lastCommand = ""
        var pending: (code: Int, lines: [String])?
        // swaks writes the message data with CRLF line ends; "\r\n" is one Character, so split(separator: "\n")
        // would leave the whole body, final "." included, as one line.
        let lines = transcript.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for rawLine in lines {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.hasPrefix(" -> ") {
                lastCommand = String(line.dropFirst(4))
                continue
            }
            guard line.hasPrefix("<-  ") || line.hasPrefix("<** ") else { continue }
            let reply = line.dropFirst(4)
            guard reply.count >= 3, let code = Int(reply.prefix(3)) else { continue }
            let separator = reply.dropFirst(3).first
            let text = String(reply.dropFirst(4))
            var lines = pending?.lines ?? []
            lines.append(text)
            if separator == "-" {
                pending = (code, lines)
            } else {
                exchanges.append(Exchange(command: lastCommand, reply: SMTPReply(code: code, text: lines.joined(separator: "\n"))))
                pending = nil
            }
        }
        self.exchanges = exchanges
    }

    /// The reply to `MAIL FROM`, if swaks got that far.
    var mailReply: SMTPReply? {
        exchanges.first { $0.command.uppercased().hasPrefix("MAIL FROM:") }?.reply
    }

    /// The reply to each `RCPT TO`, keyed by the address without angle brackets, in the order sent.
    var recipientReplies: [(recipient: String, reply: SMTPReply)] {
        exchanges.compactMap { exchange in
            guard exchange.command.uppercased().hasPrefix("RCPT TO:") else { return nil }
            var address = exchange.command.dropFirst("RCPT TO:".count)
            if address.hasPrefix("<"), let close = address.firstIndex(of: ">") {
                address = address[address.index(after: address.startIndex)..<close]
            }
            return (String(address), exchange.reply)
        }
    }

    /// The reply after the message data (`.`), present only when the message was accepted for delivery or refused
    /// at end of data.
    var endOfDataReply: SMTPReply? {
        exchanges.first { $0.command == "." }?.reply
    }
}
