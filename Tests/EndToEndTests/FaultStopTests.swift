import Foundation
import Testing

@Suite("Fault: SIGTERM with Postfix sessions in flight")
struct FaultStopTests {
    static let messagesPerStream = 600

    @Test("SIGTERM under load: exit 0 within 10 s, sessions after it tempfailed, nothing must-deny delivered")
    func stopUnderLoad() async throws {
        try await withRelayGuard { milter in
            try await withPostfix(FaultGateway.options(milter)) { postfix in
                let trafficStart = milter.logMark()
                let allowedRun = try SMTPSource(sender: "stop-allowed@outside.example", recipient: FaultGateway.allowed,
                                                messages: Self.messagesPerStream, sessions: 4).start(against: postfix)
                let deniedRun = try SMTPSource(sender: "stop-denied@outside.example", recipient: FaultGateway.mustDeny,
                                               messages: Self.messagesPerStream, sessions: 4).start(against: postfix)
                let clock = ContinuousClock()
                do {
                    try await milter.waitForLogLine(since: trafficStart, timeout: .seconds(60), what: "decision 201",
                                                   count: 201) { $0.contains("verdict=") }
                    let signalled = clock.now
                    try milter.send(SIGTERM)
                    let exited = try await milter.waitForExit(timeout: .seconds(10))
                    let exitTime = clock.now - signalled
                    #expect(exited, "relayguard still running 10 s after SIGTERM")
                    #expect(milter.exitCode == 0, "exit status \(milter.exitCode)")
                    #expect(!milter.logLines(containing: "relayguard stopped").isEmpty)
                    // A session after the stop is tempfailed, whether or not the streams still ran by then (on a
                    // busy machine they can finish before the signal): MAIL FROM gets milter_default_action's 451.
                    let probe = try await Swaks.send(to: postfix, from: "stop-probe@outside.example",
                                                     recipients: [FaultGateway.mustDeny, FaultGateway.allowed],
                                                     client: XClient("127.0.0.1"))
                    #expect(probe.mailReply?.code == 451 && probe.mailReply?.enhancedCode == "4.7.1", "\(probe.output.stdout)")

                    let allowed = try await allowedRun.finish()
                    let denied = try await deniedRun.finish()
                    try await postfix.waitForQueueToDrain(timeout: .seconds(30))
                    let maillog = FaultMaillog(postfix)
                    let delivered = try postfix.sink.messages(from: allowed.source.sender).count
                    let wrong = try FaultGateway.wronglyDelivered(postfix)

                    #expect(wrong.isEmpty && denied.accepted == 0, "must-deny delivered: \(wrong.count)")
                    #expect(allowed.other.isEmpty && denied.other.isEmpty, "\(allowed.other) \(denied.other)")
                    #expect(allowed.rejected == 0, "\(allowed.refusals)")
                    #expect(delivered == allowed.accepted && delivered + allowed.tempfailed == allowed.source.messages)
                    #expect(denied.rejected + denied.tempfailed == denied.source.messages)

                    // Sessions the stop cut in the middle: Postfix lost the milter after connect (its warnings
                    // name the stage), as opposed to sessions that found no milter at all (connect refused).
                    let cut = maillog.milterWarnings.filter { !$0.contains("Connection refused") }
                    reportFigures("stop", [
                        "sent": "\(allowed.source.messages + denied.source.messages)",
                        "delivered": "\(delivered)",
                        "tempfailed": "\(allowed.tempfailed + denied.tempfailed)",
                        "rejected_5xx": "\(denied.rejected)",
                        "wrongly_delivered": "\(wrong.count)",
                        "exit_status": "\(milter.exitCode)",
                        "exit_time": String(format: "%.2fs", exitTime.seconds),
                        "in_flight_cut": "\(cut.count)",
                    ])
                    for line in cut.prefix(3) { print("RELIABILITY stop: postfix: \(line)") }
                } catch {
                    await allowedRun.cancel()
                    await deniedRun.cancel()
                    throw error
                }
            }
        }
    }
}
