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

    /// Waits until more than `after` log lines contain `text`; returns the first new one.
    @discardableResult
    func waitForLogLine(containing text: String, after: Int = 0, timeout: Duration = .seconds(10)) async throws -> Substring {
        do {
            try await waitUntil("relayguard to log \"\(text)\"", timeout: timeout) {
                let seen = logLines(containing: text).count > after
                guard isRunning || seen else {
                    throw HarnessError("relayguard exited (status \(exitCode)) before logging \"\(text)\"")
                }
                return seen
            }
        } catch {
            throw HarnessError("\(error)\nlog:\n\(log().suffix(4000))")
        }
        return logLines(containing: text)[after]
    }

    /// Waits for the first line written after `mark` that satisfies `matches`; returns it and every line since `mark`
    /// up to it. Each poll reads only the log written since `mark`, so waiting costs the same however long the log is.
    func waitForLogLine(
        since mark: LogMark, timeout: Duration = .seconds(10), what: String, where matches: (Substring) -> Bool
    ) async throws -> (line: Substring, before: [Substring]) {
        var found: (line: Substring, before: [Substring])?
        do {
            try await waitUntil("relayguard to log \(what)", timeout: timeout) {
                // Only whole lines: the last one may still be being written.
                let lines = log(since: mark).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                if let index = lines.firstIndex(where: matches) {
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
