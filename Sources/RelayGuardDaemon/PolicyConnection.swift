#if canImport(Glibc)
import Glibc
#endif
import Logging
import PolicyDelegation
import RelayPolicy

/// One policy delegation connection: requests in, `action=` answers out, the decision line logged per recipient.
/// Only protocol translation: the framing and parsing are `PolicyDelegation`'s, the decisions the snapshot's.
public struct PolicyConnection {
    /// Taken when the connection opens: a reload does not change the answers of a connection in progress.
    let snapshot: PolicyStore.Snapshot
    let logger: Logger
    let metrics: RelayGuardMetrics
    /// The `session=` of the log lines.
    let session: UInt64

    public init(snapshot: PolicyStore.Snapshot, logger: Logger, metrics: RelayGuardMetrics = RelayGuardMetrics(), session: UInt64) {
        self.snapshot = snapshot
        self.logger = logger
        self.metrics = metrics
        self.session = session
    }

    /// Serves `input` until end of file, writing each answer to `output` once the bytes read so far are answered
    /// (smtpd waits for each answer before it sends the next request, so this is one write per request).
    /// - Throws: `PolicyConnectionError` when a read or write fails.
    public func serve(input: Int32, output: Int32) throws(PolicyConnectionError) {
        var framer = PolicyRequestFramer()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var answers: [UInt8] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw PolicyConnectionError(function: "read", errno: errno)
            }
            if count == 0 {
                if framer.hasPartialRequest {
                    logger.warning("session=\(session) frontend=policy: the peer closed the connection in the middle of a request")
                }
                return
            }
            framer.feed(buffer[..<count]) { event in
                answers.append(contentsOf: PolicyAnswer.response(answer(event)).utf8)
            }
            guard !answers.isEmpty else { continue }
            try Self.writeAll(answers, to: output)
            answers.removeAll(keepingCapacity: true)
        }
    }

    /// The `action=` value for one request, after logging its decision.
    public func answer(_ event: PolicyRequestFramer.Event) -> String {
        switch event {
        case .request(let request):
            switch request.query() {
            case .success(.recipient(let recipient, let client)):
                // The attribute is Postfix's parsed address; there is no raw argument to decide beside it.
                let decision = snapshot.decide(recipient, parsed: recipient, client: client)
                return finish(decision, request: request)
            case .success(.otherState):
                return PolicyAnswer.dunno
            case .failure(let error):
                return malformed(error, request: request)
            }
        case .malformed(let error, let partial):
            return malformed(error, request: partial)
        }
    }

    /// `on_error`'s answer for a request that cannot be read, and a line saying why.
    private func malformed(_ error: PolicyRequestError, request: PolicyRequest) -> String {
        logger.error("\(request.queueID ?? "NOQUEUE"): session=\(session) frontend=policy: bad policy request: \(error); answering on_error")
        return finish(snapshot.undecidable(AddressDecoder.decode(request.recipient)), request: request)
    }

    private func finish(_ decision: Decision, request: PolicyRequest) -> String {
        logger.info(Logger.Message(stringLiteral: DecisionLogLine.make(
            queueID: request.queueID, session: session, clientText: request.clientText,
            authenticatedUser: request["sasl_username"], generation: snapshot.generation, decision: decision,
            rcptAddr: nil, frontend: "policy")))
        metrics.record(decision)
        return PolicyAnswer.action(for: decision)
    }

    private static func writeAll(_ bytes: [UInt8], to output: Int32) throws(PolicyConnectionError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(output, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw PolicyConnectionError(function: "write", errno: errno)
            }
            offset += written
        }
    }
}

/// A read or write on a policy connection failed.
public struct PolicyConnectionError: Error, CustomStringConvertible {
    public let function: String
    public let errno: Int32

    public var description: String { "\(function) on the policy connection: \(String(cString: strerror(errno)))" }
}
