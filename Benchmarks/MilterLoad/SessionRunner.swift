#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds.
func now() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// What one worker thread measured: latencies per command (ns) and the recipient verdicts.
final class WorkerTally {
    /// Indexed by `Command.rawValue`.
    var latencies: [[UInt64]] = Array(repeating: [], count: Command.allCases.count)
    var sessions = 0
    var recipients = 0
    var rejects = 0
    var tempfails = 0
    var mismatches = 0
    var errors: [String] = []

    enum Command: Int, CaseIterable {
        case open = 0, negotiate, connect, helo, mail, rcpt, data, eom
        var name: String { ["open", "optneg", "connect", "helo", "mail", "rcpt", "data", "eom"][rawValue] }
    }
}

/// Plays one SMTP session the way Postfix's milter8.c does against one milter connection: optneg; per stage the
/// macros ('D', no reply) and then the command; ABORT after the transaction (smtpd's mail_reset) and QUIT.
struct SessionRunner {
    let host: String
    let port: UInt16

    func run(session n: Int, recipients count: Int, into tally: WorkerTally) throws {
        let (client, recipients) = RecipientMix.session(n, recipients: count)
        var started = now()
        let connection = try MilterConnection(host: host, port: port)
        record(.open, since: &started, tally)

        var offer: [UInt8] = []
        offer.appendUInt32(MilterProtocol.version)
        offer.appendUInt32(MilterProtocol.offeredActions)
        offer.appendUInt32(MilterProtocol.offeredSteps)
        connection.send(UInt8(ascii: "O"), offer)
        let (command, answer) = try connection.receive()
        guard command == UInt8(ascii: "O"), answer.count >= 12 else { throw LoadError("bad optneg reply '\(Character(Unicode.Scalar(command)))'") }
        let steps = readUInt32(answer, at: 8)
        let requested = macroLists(answer.dropFirst(12))
        record(.negotiate, since: &started, tally)

        var values = macroValues(client: client, session: n)
        func stage(_ stage: MilterProtocol.Stage, _ data: [UInt8], skip: UInt32, noReply: UInt32, _ which: WorkerTally.Command) throws -> UInt8 {
            var macros: [UInt8] = [stage.command]
            for name in requested[stage] ?? stage.postfixDefaultMacros {
                if let value = values[name] { macros.appendString(name); macros.appendString(value) }
            }
            connection.send(UInt8(ascii: "D"), macros)
            if steps & skip != 0 { return UInt8(ascii: "c") }
            connection.send(stage.command, data)
            if steps & noReply != 0 { return UInt8(ascii: "c") }
            var reply: UInt8
            repeat { reply = try connection.receive().command } while !MilterProtocol.isFinal(reply)
            record(which, since: &started, tally)
            return reply
        }

        var connect: [UInt8] = []
        connect.appendString("unknown")
        connect.append(UInt8(ascii: client.isIPv6 ? "6" : "4"))
        let clientPort = UInt16(40000 + n % 20000)
        connect.append(contentsOf: [UInt8(clientPort >> 8), UInt8(clientPort & 0xFF)])
        connect.appendString(client.text)
        var helo: [UInt8] = []
        helo.appendString("client.example")
        var mail: [UInt8] = []
        mail.appendString("<sender@client.example>")

        var reply = try stage(.connect, connect, skip: MilterProtocol.noConnect, noReply: MilterProtocol.noReplyConnect, .connect)
        if reply == UInt8(ascii: "c") {
            reply = try stage(.helo, helo, skip: MilterProtocol.noHelo, noReply: MilterProtocol.noReplyHelo, .helo)
        }
        if reply == UInt8(ascii: "c") {
            reply = try stage(.mail, mail, skip: MilterProtocol.noMail, noReply: MilterProtocol.noReplyMail, .mail)
        }
        if reply == UInt8(ascii: "c") {
            var accepted = 0
            for recipient in recipients {
                var rcpt: [UInt8] = []
                rcpt.appendString(recipient.address)
                // Postfix's parsed recipient: without the angle brackets, and its domain.
                values["{rcpt_addr}"] = String(recipient.address.dropFirst().dropLast())
                values["{rcpt_host}"] = String(recipient.domain)
                let verdict = try stage(.rcpt, rcpt, skip: MilterProtocol.noRcpt, noReply: MilterProtocol.noReplyRcpt, .rcpt)
                tally.recipients += 1
                let denied = verdict != UInt8(ascii: "c") && verdict != UInt8(ascii: "a")
                if denied { tally.rejects += 1 }
                if verdict == UInt8(ascii: "t") { tally.tempfails += 1 }
                if denied != (recipient.deniedOutside && !client.isRelayClient) { tally.mismatches += 1 }
                if !denied { accepted += 1 }
            }
            if accepted > 0 {
                reply = try stage(.data, [], skip: MilterProtocol.noData, noReply: MilterProtocol.noReplyData, .data)
                if reply == UInt8(ascii: "c") {
                    _ = try stage(.eom, [], skip: 0, noReply: 0, .eom)
                }
            }
            connection.send(UInt8(ascii: "A"))
        }
        connection.send(UInt8(ascii: "Q"))
        try connection.flush()
        tally.sessions += 1
    }

    private func record(_ command: WorkerTally.Command, since started: inout UInt64, _ tally: WorkerTally) {
        let time = now()
        tally.latencies[command.rawValue].append(time - started)
        started = time
    }

    /// The macros Postfix would define for this session (names a milter may request; undefined ones are not sent).
    private func macroValues(client: RecipientMix.ClientAddress, session n: Int) -> [String: String] {
        [
            "j": "gateway.test", "{daemon_name}": "smtpd", "{daemon_addr}": "127.0.0.1", "v": "Postfix 3.7.11",
            "_": "unknown [\(client.text)]", "{client_addr}": client.text, "{client_name}": "unknown",
            "{mail_addr}": "sender@client.example", "{mail_mailer}": "smtp",
            "i": String(0x4A0000 + n % 0xFFFF, radix: 16, uppercase: true),
            "{rcpt_mailer}": "smtp",
        ]
    }

    private func readUInt32(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt32 {
        let i = bytes.startIndex + offset
        return UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }

    /// The optneg reply's symbol lists: (4-byte SMFIM_* index, space-separated names, NUL)*.
    private func macroLists(_ bytes: ArraySlice<UInt8>) -> [MilterProtocol.Stage: [String]] {
        var lists: [MilterProtocol.Stage: [String]] = [:]
        var rest = bytes
        while rest.count > 4 {
            let index = Int(readUInt32(rest, at: 0))
            rest = rest.dropFirst(4)
            let names = rest.prefix { $0 != 0 }
            rest = rest.dropFirst(names.count + 1)
            if let stage = MilterProtocol.Stage(rawValue: index) {
                lists[stage] = String(decoding: names, as: UTF8.self).split(separator: " ").map(String.init)
            }
        }
        return lists
    }
}
