import RelayPolicy

/// What the probe asks of the server.
public struct ProbeOptions: Sendable {
    public var host: String
    public var port: UInt16 = 25
    /// The gateway's relay domain, where every form is addressed.
    public var domain: String
    public var helo = "relayguard-probe.invalid"
    public var from = "relayguard-probe@relayguard-probe.invalid"
    /// The outside address every form tries to reach. Nothing is ever sent to it: the probe never sends DATA.
    public var target = "victim@relayguard-probe.invalid"
    /// Seconds to wait for the connection and for each reply.
    public var timeout = 30.0
    /// Recipients tried in one SMTP session: Postfix disconnects a client after smtpd_hard_error_limit (20) errors
    /// and slows it down after smtpd_soft_error_limit (10), so a session stays under both.
    public var formsPerSession = 8
    /// Include the built-in test set (off when only `--forms` should run).
    public var builtIn = true

    public init(host: String, domain: String) {
        self.host = host
        self.domain = domain
    }
}

/// The answer to one test recipient.
public struct ProbeResult: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// 2xx at RCPT: the server took the recipient, the hole.
        case accepted
        /// 5xx at RCPT.
        case refused
        /// 4xx at RCPT: not proof of closure, the server may accept it later.
        case deferred
        /// The server wants authentication first (530, 5.7.0, at MAIL or RCPT).
        case authRequired = "auth-required"
        /// The test could not be made: connection lost, timeout, MAIL FROM refused.
        case error
    }

    public var family: String
    public var recipient: String
    public var outcome: Outcome
    /// The server's reply, or what went wrong.
    public var reply: String
    /// For an accepted encapsulated or routed recipient: the address it points at.
    public var decodesTo: String?

    enum CodingKeys: String, CodingKey { case family, recipient, outcome, reply, decodesTo = "decodes_to" }
}

/// The whole probe: where, what was tried, what came back.
public struct ProbeReport: Sendable, Codable {
    public var host: String
    public var port: UInt16
    public var domain: String
    /// The server's address literal used in the `-literal` families.
    public var literal: String?
    public var results: [ProbeResult] = []

    public var accepted: Int { results.filter { $0.outcome == .accepted }.count }
    public var errors: Int { results.filter { $0.outcome == .error }.count }

    /// 0 nothing accepted, 1 something accepted, 2 something could not be tested (and nothing accepted).
    public var exitStatus: Int32 { accepted > 0 ? 1 : (errors > 0 || results.isEmpty ? 2 : 0) }
}

/// Runs the test set against one server, a few recipients per SMTP session, MAIL FROM, RCPT TO and RSET for each,
/// never DATA.
public struct Prober {
    let options: ProbeOptions
    let customForms: (_ literal: String?) throws(ProbeError) -> [ProbeForm]

    public init(options: ProbeOptions, customForms: @escaping (_ literal: String?) throws(ProbeError) -> [ProbeForm] = { _ in [] }) {
        self.options = options
        self.customForms = customForms
    }

    /// - Parameter progress: called after each test with its number, the total and the result.
    public func run(progress: (Int, Int, ProbeResult) -> Void = { _, _, _ in }) throws(ProbeError) -> ProbeReport {
        var report = ProbeReport(host: options.host, port: options.port, domain: options.domain)
        // The first connection must work: its address makes the literal forms, and a server that does not greet
        // cannot be tested at all.
        var session: SMTPConnection? = try open()
        report.literal = session?.literal
        let forms = (options.builtIn ? ProbeForm.builtIn(domain: options.domain, literal: report.literal, target: options.target) : [])
            + (try customForms(report.literal))
        guard !forms.isEmpty else { throw ProbeError("no test recipients (the forms file is empty and --no-builtin was given)") }
        var inSession = 0
        var failuresInARow = 0
        for (index, form) in forms.enumerated() {
            let result: ProbeResult
            if failuresInARow >= 3 {
                result = ProbeResult(family: form.family, recipient: form.recipient, outcome: .error,
                                     reply: "not tried: the last three tests lost the connection")
            } else {
                do {
                    if session == nil || inSession >= options.formsPerSession {
                        if let old = session { _ = try? old.command("QUIT") }
                        session = nil
                        session = try open()
                        inSession = 0
                    }
                    result = try test(form, on: session!)
                    inSession += 1
                    failuresInARow = 0
                    if result.reply.hasPrefix("421") { session = nil }
                } catch {
                    result = ProbeResult(family: form.family, recipient: form.recipient, outcome: .error, reply: error.description)
                    session = nil
                    failuresInARow += 1
                }
            }
            report.results.append(result)
            progress(index + 1, forms.count, result)
        }
        if let session { _ = try? session.command("QUIT") }
        return report
    }

    private func open() throws(ProbeError) -> SMTPConnection {
        let connection = try SMTPConnection(host: options.host, port: options.port, timeout: options.timeout)
        let greeting = try connection.readReply()
        guard (200..<300).contains(greeting.code) else { throw ProbeError("the server refused the connection: \(greeting.text)") }
        let ehlo = try connection.command("EHLO \(options.helo)")
        if !(200..<300).contains(ehlo.code) {
            let helo = try connection.command("HELO \(options.helo)")
            guard (200..<300).contains(helo.code) else { throw ProbeError("HELO refused: \(helo.text)") }
        }
        return connection
    }

    private func test(_ form: ProbeForm, on connection: SMTPConnection) throws(ProbeError) -> ProbeResult {
        func result(_ outcome: ProbeResult.Outcome, _ reply: SMTPReply) -> ProbeResult {
            var decodesTo: String?
            if outcome == .accepted {
                let decoded = AddressDecoder.decode(form.recipient)
                decodesTo = decoded.inner
            }
            return ProbeResult(family: form.family, recipient: form.recipient, outcome: outcome, reply: reply.text, decodesTo: decodesTo)
        }
        let mail = try connection.command("MAIL FROM:<\(options.from)>")
        guard (200..<300).contains(mail.code) else {
            return result(Self.needsAuthentication(mail) ? .authRequired : .error, mail)
        }
        let rcpt = try connection.command("RCPT TO:<\(form.recipient)>")
        let outcome: ProbeResult.Outcome = switch rcpt.code {
        case 200..<300: .accepted
        case _ where Self.needsAuthentication(rcpt): .authRequired
        case 400..<500: .deferred
        default: .refused
        }
        if rcpt.code != 421 {
            let reset = try connection.command("RSET")
            guard (200..<300).contains(reset.code) else { throw ProbeError("RSET refused: \(reset.text)") }
        }
        return result(outcome, rcpt)
    }

    static func needsAuthentication(_ reply: SMTPReply) -> Bool {
        reply.code == 530 || reply.lines.first?.hasPrefix("5.7.0") == true && reply.text.lowercased().contains("authentication")
    }
}
