/// The client a test pretends to be, presented to Postfix with XCLIENT.
///
/// Postfix then treats the session as coming from `address` (also for `mynetworks`) and passes that address to
/// milters. The first milter connection of a session still sees the real client 127.0.0.1; Postfix reconnects
/// to the milter after XCLIENT.
struct XClient: Sendable {
    /// An IPv4 or IPv6 address; IPv6 is sent as `IPV6:…` as XCLIENT requires.
    var address: String
    /// A SASL login name (`XCLIENT LOGIN=`); milters see it as `{auth_authen}`.
    var login: String?

    init(_ address: String, login: String? = nil) {
        self.address = address
        self.login = login
    }

    /// Postfix's XCLIENT value for "this client has no address": Postfix then treats the client as unknown.
    static let unavailable = XClient("[UNAVAILABLE]")

    var attributes: String {
        var attributes = "ADDR=" + (address.contains(":") ? "IPV6:" + address : address)
        if let login {
            attributes += " LOGIN=" + login
        }
        return attributes
    }
}

/// What happened when swaks sent one message.
struct SwaksResult: Sendable {
    let transcript: SwaksTranscript
    let output: CommandResult

    var mailReply: SMTPReply? { transcript.mailReply }
    var endOfDataReply: SMTPReply? { transcript.endOfDataReply }

    /// The reply to `RCPT TO:<recipient>`, or nil when swaks never sent that RCPT (e.g. MAIL was refused).
    func reply(for recipient: String) -> SMTPReply? {
        transcript.recipientReplies.first { $0.recipient == recipient }?.reply
    }

    /// The codes of all RCPT replies by recipient, for table-like assertions.
    var recipientCodes: [String: Int] {
        Dictionary(transcript.recipientReplies.map { ($0.recipient, $0.reply.code) }) { first, _ in first }
    }
}

/// Runs swaks against a private Postfix.
///
/// swaks goes on after a refused RCPT and sends DATA if at least one RCPT was accepted; when every RCPT (or MAIL)
/// is refused it sends QUIT and exits non-zero (24, or 23 for MAIL). Those exits are results, not errors: read the
/// replies. Only a dialogue without a greeting (no connection) throws.
enum Swaks {
    /// - Parameters:
    ///   - server: the address to connect to: 127.0.0.1, or one of `PostfixOptions.extraListenAddresses`.
    ///   - port: the smtpd port, when not the instance's main one (a listener of `PostfixOptions.extraMasterCF`).
    static func send(
        to postfix: PostfixInstance,
        port: UInt16? = nil,
        from sender: String = "sender@outside.example",
        recipients: [String],
        client: XClient,
        server: String = "127.0.0.1",
        quitAfter: String? = nil
    ) async throws -> SwaksResult {
        var arguments = [
            "--server", "\(server):\(port ?? postfix.smtpPort)",
            "--helo", "client.test",
            "--xclient", client.attributes,
            "--from", sender,
            "--to", recipients.joined(separator: ","),
            "--timeout", "20",
        ]
        if let quitAfter {
            arguments += ["--quit-after", quitAfter]
        }
        let output = try await runCommand(try RequiredTool.swaks.path(), arguments, timeout: .seconds(60))
        let transcript = SwaksTranscript(parsing: output.stdout)
        guard transcript.exchanges.first?.command == "" else {
            throw HarnessError("swaks got no SMTP greeting:\n\(output.summary)\n\(postfix.maillog())")
        }
        return SwaksResult(transcript: transcript, output: output)
    }
}
