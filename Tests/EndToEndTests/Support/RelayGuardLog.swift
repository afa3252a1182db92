/// Reading `RelayGuardProcess.log()`: lines, parsed decisions, and waiting for them.
extension RelayGuardProcess {
    /// The log lines containing `text`.
    func logLines(containing text: String) -> [Substring] {
        log().split(separator: "\n").filter { $0.contains(text) }
    }

    /// Every decision line so far, in order.
    func decisions() -> [MilterDecisionLine] {
        log().split(separator: "\n").compactMap(MilterDecisionLine.init)
    }

    /// Waits for the `count`th line written after `mark` that satisfies `matches` (the first by default; a larger
    /// count waits for traffic to make progress); returns it and every line since `mark` up to it. Each poll reads
    /// only the log written since `mark`, so waiting costs the same however long the log was before it.
    @discardableResult
    func waitForLogLine(
        since mark: LogMark, timeout: Duration = .seconds(10), what: String, count: Int = 1,
        where matches: (Substring) -> Bool
    ) async throws -> (line: Substring, before: [Substring]) {
        var found: (line: Substring, before: [Substring])?
        do {
            try await waitUntil("relayguard to log \(what)", timeout: timeout) {
                // Only whole lines: the last one may still be being written.
                let lines = log(since: mark).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                var matched = 0
                let index = lines.firstIndex { line in
                    guard matches(line) else { return false }
                    matched += 1
                    return matched == count
                }
                if let index {
                    found = (lines[index], Array(lines[..<index]))
                    return true
                }
                guard isRunning else { throw HarnessError("relayguard exited (status \(exitCode)) before logging \(what)") }
                return false
            }
        } catch {
            throw HarnessError("\(error)\nlog since the mark:\n\(log(since: mark).suffix(4000))")
        }
        return found!
    }

    /// Waits until `count` decisions are logged.
    func waitForDecisions(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [MilterDecisionLine] {
        do {
            try await waitUntil("relayguard to log \(count) decisions", timeout: timeout) { decisions().count >= count }
        } catch {
            throw HarnessError("\(error)\nlog:\n\(log())")
        }
        return decisions()
    }
}
