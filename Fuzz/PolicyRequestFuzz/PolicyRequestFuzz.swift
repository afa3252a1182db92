// libFuzzer target for the policy delegation request parser (PolicyDelegation), built by scripts/fuzz.
//
// Small limits (64-byte lines, 8 attributes) so that 4 KiB inputs reach them. The first byte chooses a chunk size:
// smtpd's requests arrive in whatever pieces the socket gives, and the framer must not depend on them.
import PolicyDelegation
import RelayPolicy

private func require(_ condition: Bool, _ message: @autoclosure () -> String, _ bytes: [UInt8]) {
    if !condition { fatalError("property violated: \(message()) for \(String(decoding: bytes, as: UTF8.self).debugDescription)") }
}

/// An oracle that does not use the framer: a request ends at each empty line (a trailing CR dropped) that follows at
/// least one other line since the last end.
private func expectedRequests(_ bytes: [UInt8]) -> Int {
    var count = 0
    var linesInRequest = 0
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    lines.removeLast()   // the bytes after the last newline are no line yet
    for var line in lines {
        if line.last == 0x0D { line = line.dropLast() }
        if line.isEmpty {
            if linesInRequest > 0 { count += 1 }
            linesInRequest = 0
        } else {
            linesInRequest += 1
        }
    }
    return count
}

private let policy = Policy()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicyRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let chunk = Int(data[0] % 17) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    var whole = PolicyRequestFramer(maxLineBytes: 64, maxAttributes: 8)
    let events = whole.feed(bytes)
    var pieces = PolicyRequestFramer(maxLineBytes: 64, maxAttributes: 8)
    var split: [PolicyRequestFramer.Event] = []
    var start = 0
    while start < bytes.count {
        pieces.feed(bytes[start..<min(start + chunk, bytes.count)]) { split.append($0) }
        start += chunk
    }
    require(split == events, "the same requests whatever the chunk size (\(chunk))", bytes)
    require(events.count == expectedRequests(bytes), "one event per request end", bytes)
    require(whole.hasPartialRequest == pieces.hasPartialRequest, "the same partial state", bytes)

    for event in events {
        let request: PolicyRequest
        switch event {
        case .request(let complete): request = complete
        case .malformed(_, let partial): request = partial
        }
        require(request.count <= 8, "at most maxAttributes kept", bytes)
        for (name, value) in request.attributes {
            require(!name.isEmpty && !name.utf8.contains(0x3D), "a name is non-empty and has no =", bytes)
            require(name.utf8.count + value.utf8.count < 66, "a kept line is within maxLineBytes", bytes)
            require(!(name + value).utf8.contains(0x0A), "no newline inside an attribute", bytes)
        }
        // Whatever the request says, the answer is one access(5) action on one line, never OK.
        var decision: Decision
        switch (event, request.query()) {
        case (.request, .success(.recipient(let recipient, let client))):
            decision = policy.decide(recipient, parsed: recipient, client: client)
        case (.request, .success(.otherState)):
            continue
        default:
            decision = policy.undecidable(AddressDecoder.decode(request.recipient))
        }
        let action = PolicyAnswer.action(for: decision)
        require(!action.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "no control byte in \(action.debugDescription)", bytes)
        require(action.uppercased() != "OK" && !action.isEmpty, "never OK, never empty", bytes)
        require(action == "DUNNO" || action.first?.isNumber == true || action == "REJECT" || action == "DEFER",
                "DUNNO or a reply: \(action.debugDescription)", bytes)
    }
    return 0
}
