import Foundation
import Testing

/// The gateway for the fault tests: smtp-source connects from 127.0.0.1 without XCLIENT, so 127.0.0.1 must be an
/// outside client: `mynetworks` holds only an address nobody uses. corp.example is still a relay domain, so
/// `reject_unauth_destination` lets the IMCEA recipient through to the milter.
enum FaultGateway {
    /// Postfix asks `relayguard` through its policy socket when it serves one (first in `smtpd_relay_restrictions`,
    /// `smtpd_policy_service_default_action` left at 451 4.3.5), else through the milter.
    static func options(_ relayguard: RelayGuardProcess) -> PostfixOptions {
        if let service = relayguard.postfixPolicyService {
            return PostfixOptions(mynetworks: "192.0.2.250/32", parameters: [
                "smtpd_relay_restrictions": "check_policy_service \(service), permit_mynetworks, reject_unauth_destination",
            ])
        }
        return PostfixOptions(milter: relayguard.postfixMilter(), mynetworks: "192.0.2.250/32")
    }

    /// The front ends the fault tests run against: the milter and the package's policy socket (unix).
    static let frontEnds = FrontEnd.tested.filter { $0 == .milter || $0 == .policyUnix }

    /// Recipients the traffic generators use (smtp-source adds the angle brackets).
    static let allowed = "alice@corp.example"
    static let mustDeny = "IMCEASMTP-victim+40elsewhere+2Ecom@corp.example"

    /// Every recipient that reached the sink and must not have.
    static func wronglyDelivered(_ postfix: PostfixInstance) throws -> [String] {
        try postfix.sink.recipients().filter { $0.uppercased().hasPrefix("IMCEA") }
    }
}

@Suite("Fault: RelayGuard killed while Postfix is sending")
struct FaultKillTests {
    static let messagesPerStream = 1500

    // .serialized: one front end at a time, so the suite's load on the 2 cores is what it was with the milter alone.
    @Test("kill -9 mid-run, restart on the same socket: every message delivered or 4xx, nothing must-deny delivered",
          .serialized, arguments: FaultGateway.frontEnds)
    func killAndRestart(_ frontEnd: FrontEnd) async throws {
        try await withRelayGuard(policy: frontEnd.policyListen) { milter in
            try await withPostfix(FaultGateway.options(milter)) { postfix in
                let trafficStart = milter.logMark()
                let allowed = SMTPSource(sender: "kill-allowed@outside.example", recipient: FaultGateway.allowed,
                                         messages: Self.messagesPerStream, sessions: 4)
                let denied = SMTPSource(sender: "kill-denied@outside.example", recipient: FaultGateway.mustDeny,
                                        messages: Self.messagesPerStream, sessions: 4)
                let allowedRun = try allowed.start(against: postfix)
                let deniedRun = try denied.start(against: postfix)
                let clock = ContinuousClock()
                let started = clock.now
                let downtime: Duration
                let decisionsAfterRestart: Int
                do {
                    // Kill once traffic is flowing through the milter (progress, not time).
                    try await milter.waitForLogLine(since: trafficStart, timeout: .seconds(60), what: "decision 301",
                                                   count: 301) { $0.contains("verdict=") }
                    let killedAt = clock.now
                    try await milter.killHard()
                    // While it is down, a session is refused with a 4xx, whether or not the streams still run by now
                    // (on a busy machine they can be through before the kill): the milter's default action at MAIL
                    // FROM, the policy service's default action at RCPT.
                    let downProbe = try await Swaks.send(to: postfix, from: "kill-down-probe@outside.example",
                                                         recipients: [FaultGateway.mustDeny, FaultGateway.allowed],
                                                         client: XClient("127.0.0.1"))
                    // Down for a moment, as a crash and a systemd restart would be.
                    try await Task.sleep(until: killedAt.advanced(by: .seconds(1)), clock: clock)
                    try await milter.start()
                    downtime = clock.now - killedAt
                    let before = milter.logLines(containing: "verdict=").count
                    let allowedReport = try await allowedRun.finish()
                    let deniedReport = try await deniedRun.finish()
                    // The streams may end before a slow restart listens (under load the restart took 5 s and every
                    // remaining message was tempfailed): one more message shows the restarted run decides.
                    let probe = try await Swaks.send(to: postfix, from: "kill-probe@outside.example",
                                                     recipients: [FaultGateway.mustDeny, FaultGateway.allowed],
                                                     client: XClient("127.0.0.1"))
                    #expect(probe.recipientCodes[FaultGateway.mustDeny] == 550, "\(probe.output.stdout)\n\(milter.log())")
                    decisionsAfterRestart = milter.logLines(containing: "verdict=").count - before
                    try await postfix.waitForQueueToDrain(timeout: .seconds(60))
                    if frontEnd.isPolicy {
                        for recipient in [FaultGateway.mustDeny, FaultGateway.allowed] {
                            #expect(downProbe.reply(for: recipient)?.code == 451, "\(downProbe.output.stdout)")
                        }
                    } else {
                        #expect(downProbe.mailReply?.code == 451, "\(downProbe.output.stdout)")
                    }
                    try check(frontEnd, allowedReport, deniedReport, postfix: postfix, milter: milter,
                              downtime: downtime, elapsed: clock.now - started, decisionsAfterRestart: decisionsAfterRestart)
                } catch {
                    await allowedRun.cancel()
                    await deniedRun.cancel()
                    throw error
                }
            }
        }
    }

    private func check(_ frontEnd: FrontEnd, _ allowed: SMTPSourceReport, _ denied: SMTPSourceReport, postfix: PostfixInstance,
                       milter: RelayGuardProcess, downtime: Duration, elapsed: Duration, decisionsAfterRestart: Int) throws {
        let maillog = FaultMaillog(postfix)
        let delivered = try postfix.sink.messages(from: allowed.source.sender).count
        let wrong = try FaultGateway.wronglyDelivered(postfix)

        // Nothing must-deny reached the sink, whatever happened to the milter.
        #expect(wrong.isEmpty, "must-deny recipients delivered: \(wrong.count)")
        #expect(denied.accepted == 0, "smtp-source saw \(denied.accepted) must-deny messages accepted")
        #expect(try postfix.sink.messages(from: denied.source.sender).isEmpty)
        // Every message is accounted for: delivered, or refused with a 4xx it can retry (or, must-deny, a 5xx).
        #expect(allowed.other.isEmpty && denied.other.isEmpty, "\(allowed.other) \(denied.other)")
        #expect(allowed.rejected == 0, "allowed recipient refused with 5xx: \(allowed.refusals)")
        #expect(delivered == allowed.accepted, "sink has \(delivered), smtp-source saw \(allowed.accepted) accepted")
        #expect(delivered + allowed.tempfailed == allowed.source.messages)
        #expect(denied.rejected + denied.tempfailed == denied.source.messages)
        // Postfix logged the same refusals the clients saw.
        #expect(maillog.refusals(from: allowed.source.sender).count == allowed.tempfailed)
        #expect(maillog.refusals(from: denied.source.sender).count == denied.tempfailed + denied.rejected)
        // RelayGuard came back (that the fault happened, the probe while it was down shows).
        #expect(decisionsAfterRestart > 0, "the restarted relayguard decided nothing")
        if frontEnd.isPolicy {
            // While it was down smtpd answered each recipient smtpd_policy_service_default_action; nothing else
            // refused a message (RCPT is the only stage the policy service is asked at).
            // The probe while it was down adds its two recipients.
            #expect(maillog.policyUnavailableLines.count == allowed.tempfailed + denied.tempfailed + 2,
                    "\(maillog.policyUnavailableLines.count) 451 4.3.5 lines, \(allowed.tempfailed + denied.tempfailed) tempfails")
            #expect(Set(allowed.refusals.keys).isSubset(of: ["recipient 451"]), "\(allowed.refusals)")
            #expect(Set(denied.refusals.keys).isSubset(of: ["recipient 451", "recipient 550"]), "\(denied.refusals)")
        }

        let sent = allowed.source.messages + denied.source.messages
        reportFigures("kill \(frontEnd.rawValue)", [
            "sent": "\(sent)",
            "delivered": "\(delivered)",
            "tempfailed": "\(allowed.tempfailed + denied.tempfailed)",
            "rejected_5xx": "\(denied.rejected)",
            "wrongly_delivered": "\(wrong.count)",
            "tempfail_window": "\(frontEnd.isPolicy ? maillog.policyTempfailWindowSeconds : maillog.tempfailWindowSeconds)s",
            "downtime": String(format: "%.2fs", downtime.seconds),
            "elapsed": String(format: "%.1fs", elapsed.seconds),
        ])
        print("RELIABILITY kill \(frontEnd.rawValue): refusals allowed=\(allowed.refusals) denied=\(denied.refusals)")
    }
}

extension Duration {
    /// The duration in seconds, for reports.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
