import Foundation

/// The parts of a private Postfix's maillog that tell what the milter's absence cost.
///
/// Postfix logs `milter-reject: … 451 4.7.1 Service unavailable - try again later` for each command it refused
/// because the milter was unreachable or went away (`milter_default_action = tempfail`), and warnings naming the
/// milter (`connect to Milter service …`, `milter inet:…: can't read SMFIC_… reply packet header`, …).
struct FaultMaillog: Sendable {
    let lines: [Substring]

    init(_ postfix: PostfixInstance) {
        let text = (try? String(contentsOfFile: postfix.maillogPath, encoding: .utf8)) ?? ""
        lines = text.split(separator: "\n")
    }

    /// Commands Postfix refused because the milter was unavailable.
    var unavailableLines: [Substring] { lines.filter { $0.contains("Service unavailable - try again later") } }

    /// Recipients smtpd refused with `smtpd_policy_service_default_action` (451 4.3.5) because the policy service
    /// was unreachable or answered nothing.
    var policyUnavailableLines: [Substring] {
        lines.filter { $0.contains(" reject: RCPT ") && $0.contains(" 451 4.3.5 ") }
    }

    /// Postfix warnings about a policy service connection (`problem talking to server …`, timeouts).
    var policyWarnings: [Substring] {
        lines.filter { $0.contains("warning:") && ($0.contains("policy") || $0.contains("talking to server")) }
    }

    /// `tempfailWindowSeconds` for the policy service's 451 4.3.5 lines.
    var policyTempfailWindowSeconds: Int { Self.windowSeconds(policyUnavailableLines) }

    /// Postfix warnings about the milter connection (connect refused, lost connection, timeouts).
    var milterWarnings: [Substring] {
        lines.filter { $0.contains("warning:") && ($0.contains("Milter") || $0.contains("milter")) }
    }

    /// Refusals logged for `sender` (`milter-reject:` and `reject:` lines carry `from=<sender>`).
    func refusals(from sender: String) -> [Substring] {
        lines.filter { $0.contains("reject:") && $0.contains("from=<\(sender)>") }
    }

    /// Seconds from the first to the last "Service unavailable" line, inclusive (the log has one-second
    /// resolution, so a window inside one second reads 1); 0 when Postfix never tempfailed for the milter.
    var tempfailWindowSeconds: Int { Self.windowSeconds(unavailableLines) }

    private static func windowSeconds(_ lines: [Substring]) -> Int {
        let seconds = lines.compactMap(Self.secondOfDay)
        guard let first = seconds.min(), let last = seconds.max() else { return 0 }
        return last - first + 1
    }

    /// `Nov 29 18:39:17 host …` → 18*3600+39*60+17.
    static func secondOfDay(_ line: Substring) -> Int? {
        let fields = line.split(separator: " ", maxSplits: 3)
        guard fields.count >= 3 else { return nil }
        let clock = fields[2].split(separator: ":").compactMap { Int($0) }
        guard clock.count == 3 else { return nil }
        return clock[0] * 3600 + clock[1] * 60 + clock[2]
    }
}

/// One figure line for RELIABILITY.md: `RELIABILITY kill: sent=4000 delivered=… wrongly_delivered=0 …`.
func reportFigures(_ test: String, _ figures: KeyValuePairs<String, String>) {
    print("RELIABILITY \(test): " + figures.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
}
