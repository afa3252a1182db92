import Foundation
import RelayPolicy
import Testing

/// Every row of `Corpus/recipients.tsv` through the decoder and the policy engine.
///
/// The corpus is data, written by `Corpus/generate.py` from the spec rather than from this decoder's output; its
/// header explains the columns. A row's `finding` column names the finding it came from (none is open): a
/// finding is fixed before its rows go in, never tolerated.
@Suite("Adversarial recipient corpus")
struct AdversarialCorpusTests {
    /// One verdict and rule; a nil rule is the corpus's `*` (any rule, as long as the verdict matches).
    struct Expectation: Sendable, CustomStringConvertible {
        let verdict: Verdict
        let rule: Rule?

        init(_ text: String) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let verdict = Verdict(rawValue: parts[0]) else {
                preconditionFailure("bad expectation \(text)")
            }
            self.verdict = verdict
            if parts[1] == "*" {
                rule = nil
            } else if let rule = Rule(rawValue: parts[1]) {
                self.rule = rule
            } else {
                preconditionFailure("bad rule in \(text)")
            }
        }

        var description: String { "\(verdict.rawValue):\(rule?.rawValue ?? "*")" }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let id: String
        let family: String
        let recipient: String
        let form: AddressForm
        let imceaType: String?
        let layers: Int
        let depthExceeded: Bool
        /// `.some(nil)`: inner must be nil; nil: not checked.
        let inner: String??
        let byDefault: Expectation
        let inside: Expectation
        let outside: Expectation
        let finding: String?
        let note: String

        var testDescription: String { "\(id) \(recipient.debugDescription.prefix(90))" }
    }

    // MARK: - The policies and clients the columns name

    static func ip(_ text: String) -> IPAddress {
        guard let ip = IPAddress(text) else { preconditionFailure("bad test address \(text)") }
        return ip
    }

    static let defaultPolicy = Policy()
    static let siteConnector: Policy = {
        var policy = Policy()
        policy.reroute = true
        policy.relayClients = CIDRSet([try! CIDRPrefix(parsing: "192.0.2.0/24")])
        return policy
    }()
    static let insideClient = Client(address: .known(ip("192.0.2.10")))
    static let outsideClient = Client(address: .known(ip("203.0.113.9")))

    // MARK: - Loading

    static let rows: [Row] = load()

    /// The corpus is generated: `generate.py` run afresh (in a copy, so the tree is untouched) must write the committed
    /// recipients.tsv byte for byte, or the table tested here is not the one the generator describes.
    @Test("generate.py reproduces recipients.tsv")
    func generatorReproducesTable() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("relayguard-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.copyItem(at: corpus.appendingPathComponent("generate.py"),
                                         to: scratch.appendingPathComponent("generate.py"))
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        python.arguments = [scratch.appendingPathComponent("generate.py").path]
        python.standardOutput = FileHandle.nullDevice
        try python.run()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        let generated = try Data(contentsOf: scratch.appendingPathComponent("recipients.tsv"))
        let committed = try Data(contentsOf: corpus.appendingPathComponent("recipients.tsv"))
        #expect(generated == committed, "run python3 Tests/RelayPolicyTests/Corpus/generate.py and commit recipients.tsv")
    }

    static func load() -> [Row] {
        guard let directory = Bundle.module.resourceURL else { preconditionFailure("no resource bundle") }
        let url = directory.appendingPathComponent("Corpus/recipients.tsv")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            preconditionFailure("cannot read \(url.path)")
        }
        // Split on bytes, not Characters: a field starting with a combining mark would otherwise merge with the tab.
        var lines = data.split(separator: UInt8(ascii: "\n")).map { Array($0) }
        lines.removeAll { $0.first == UInt8(ascii: "#") }
        let header = fields(lines.removeFirst())
        let expected = ["id", "family", "recipient", "form", "type", "layers", "inner", "default", "inside", "outside",
                        "finding", "note"]
        precondition(header == expected, "unexpected corpus header \(header)")
        return lines.map { line in
            let field = fields(line)
            precondition(field.count == expected.count, "row with \(field.count) fields: \(field)")
            guard let form = AddressForm(rawValue: field[3]) else { preconditionFailure("bad form in \(field[0])") }
            let layers = field[5]
            return Row(
                id: field[0], family: field[1], recipient: field[2], form: form,
                imceaType: field[4] == "-" ? nil : field[4],
                layers: Int(layers.hasSuffix("+") ? String(layers.dropLast()) : layers) ?? -1,
                depthExceeded: layers.hasSuffix("+"),
                inner: field[6] == "*" ? nil : .some(field[6] == "-" ? nil : field[6]),
                byDefault: Expectation(field[7]), inside: Expectation(field[8]), outside: Expectation(field[9]),
                finding: field[10] == "-" ? nil : field[10], note: field[11])
        }
    }

    /// Tab-separated fields with `\\`, `\t`, `\n`, `\r` and `\0` unescaped.
    static func fields(_ line: [UInt8]) -> [String] {
        line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { raw in
            var bytes: [UInt8] = []
            var index = raw.startIndex
            while index < raw.endIndex {
                let byte = raw[index]
                if byte == UInt8(ascii: "\\"), raw.index(after: index) < raw.endIndex {
                    index = raw.index(after: index)
                    switch raw[index] {
                    case UInt8(ascii: "t"): bytes.append(0x09)
                    case UInt8(ascii: "n"): bytes.append(0x0A)
                    case UInt8(ascii: "r"): bytes.append(0x0D)
                    case UInt8(ascii: "0"): bytes.append(0x00)
                    default: bytes.append(raw[index])
                    }
                } else {
                    bytes.append(byte)
                }
                index = raw.index(after: index)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    // MARK: - Tests

    @Test("every row decodes and is decided as the spec says", arguments: rows)
    func row(_ row: Row) {
        // A row may name the finding it came from; every row must hold, open findings included.
        Self.check(row)
    }

    /// Postfix's parse of the rows, as the gateway of the end-to-end tests is configured (PostfixParseDifferentialTests
    /// checks the model against that Postfix on every row).
    static let postfix = PostfixAddressParser.Settings(myhostname: "gateway.test")

    static func check(_ row: Row) {
        // Every row is decided as the milter decides it: the raw text with Postfix's {rcpt_addr} (nil when Postfix
        // refuses the syntax and the milter never sees it). The `rfc822` rows describe the parsed address.
        let parsed = PostfixAddressParser.rcptAddr(forArgument: row.recipient, settings: postfix)
        if row.family == "rfc822" { #expect(parsed != nil, "\(row.id): Postfix accepts it") }
        let decoded = AddressDecoder.decode(row.family == "rfc822" ? parsed ?? "" : row.recipient)
        #expect(decoded.form == row.form, "\(row.id)")
        #expect(decoded.imceaType == row.imceaType, "\(row.id)")
        #expect(decoded.layers.count == row.layers, "\(row.id)")
        #expect(decoded.depthExceeded == row.depthExceeded, "\(row.id)")
        if let inner = row.inner {
            #expect(decoded.inner == inner, "\(row.id)")
        }
        for (name, policy, client, expected) in [
            ("default", defaultPolicy, outsideClient, row.byDefault),
            ("inside", siteConnector, insideClient, row.inside),
            ("outside", siteConnector, outsideClient, row.outside),
        ] {
            let decision = policy.decide(row.recipient, parsed: parsed, client: client)
            #expect(decision.verdict == expected.verdict, "\(row.id) \(name): \(decision.rule.rawValue)")
            if let rule = expected.rule {
                #expect(decision.rule == rule, "\(row.id) \(name)")
            }
            // A denial always carries its reply, and the reply quotes the recipient the decoder saw.
            #expect((decision.reply != nil) == (decision.verdict != .continue), "\(row.id) \(name)")
        }
    }

    @Test("the corpus is big enough and covers every family and form")
    func coverage() {
        #expect(Self.rows.count >= 500)
        #expect(Set(Self.rows.map(\.id)).count == Self.rows.count, "ids are unique")
        #expect(Set(Self.rows.map(\.recipient)).count == Self.rows.count, "recipients are unique")
        #expect(Self.rows.filter { $0.inner == nil }.map(\.id) == [], "every row pins inner")
        let families: Set = [
            "imcea-smtp-case", "imcea-type-escape", "imcea-types", "imcea-x400", "imcea-hex", "imcea-underscore",
            "imcea-utf8", "imcea-nested", "quoted", "routed", "scanner", "imcea-routed", "smtputf8", "overlong",
            "null", "whitespace", "brackets", "rfc822", "plain", "imcea-payload", "imcea-x400-text", "imcea-type-nearmiss",
        ]
        #expect(families.isSubset(of: Set(Self.rows.map(\.family))))
        #expect(Set(AddressForm.allCases).isSubset(of: Set(Self.rows.map(\.form))))
        let mustDeny = Self.rows.filter { $0.byDefault.verdict != .continue }
        #expect(mustDeny.count >= 200)
    }
}
