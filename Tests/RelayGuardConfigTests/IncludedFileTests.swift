import Foundation
import RelayGuardConfig
import RelayPolicy
import Testing

/// Included files are read on bytes, by the rules the main file is read by (`ConfigText`); a file with non-ASCII
/// text or CRLF line ends must give the same entries and the same diagnostics, in the same order, as a plain one.
struct IncludedFileTests {
    static let body = "  # peers\n\t192.0.2.7/24  \n10.0.0.0/8, 10.1.0.0/16\n\n2001:db8::/32\nbad\n#\n 198.51.100.0/24\n"

    static func load(_ contents: String, config: String = "reroute = yes\nrelay_clients = file:list.cidr 203.0.113.0/33\n")
        throws -> (path: String, result: Result<Configuration, ConfigError>)
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rg-include-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try contents.write(to: directory.appendingPathComponent("list.cidr"), atomically: true, encoding: .utf8)
        let result = Result { () throws(ConfigError) in
            try Configuration.parse(config, file: "relayguard.conf", baseDirectory: directory.path)
        }
        return (directory.path + "/list.cidr", result)
    }

    @Test func reportsEveryProblemInFileOrder() throws {
        let (path, result) = try Self.load(Self.body)
        guard case .failure(let error) = result else {
            Issue.record("expected errors")
            return
        }
        #expect(error.diagnostics.map(\.description) == [
            "relayguard.conf:2: relay_clients: bad prefix length \"33\" in \"203.0.113.0/33\" (IPv4 takes 0-32)",
            "\(path):3: relay_clients: one entry a line expected, got \"10.0.0.0/8, 10.1.0.0/16\"",
            "\(path):6: relay_clients: bad IP address \"bad\" in \"bad\" (expected IPv4 like 192.0.2.0 or IPv6 like 2001:db8::)",
        ])
    }

    @Test func nonASCIIFileGivesTheSameAnswers() throws {
        let (asciiPath, ascii) = try Self.load(Self.body, config: "reroute = yes\nrelay_clients = file:list.cidr\n")
        let (unicodePath, unicode) = try Self.load("# café\n" + Self.body, config: "reroute = yes\nrelay_clients = file:list.cidr\n")
        func lines(_ result: Result<Configuration, ConfigError>, _ path: String, shift: Int) -> [String] {
            let diagnostics: [ConfigDiagnostic]
            switch result {
            case .success(let configuration): diagnostics = configuration.warnings
            case .failure(let error): diagnostics = error.diagnostics
            }
            return diagnostics.map { "\($0.file == path ? "list" : $0.file):\($0.line - ($0.file == path ? shift : 0)): \($0.message)" }
        }
        #expect(lines(ascii, asciiPath, shift: 0) == lines(unicode, unicodePath, shift: 1))
        #expect(lines(ascii, asciiPath, shift: 0).count == 2)
    }

    @Test func hostBitsWarningsReadAsWrittenAndCompareByText() throws {
        let (path, result) = try Self.load("2001:db8:1:2::/32\n2001:db8::/32\n10.1.0.0/8\n", config: "reroute = yes\nrelay_clients = file:list.cidr\n")
        var warnings = try result.get().warnings
        #expect(warnings.map(\.description) == [
            "\(path):1: warning: relay_clients: \"2001:db8:1:2::/32\" has host bits set; it matches as 2001:db8::/32",
            "\(path):3: warning: relay_clients: \"10.1.0.0/8\" has host bits set; it matches as 10.0.0.0/8",
        ])
        let spelled = ConfigDiagnostic(file: path, line: 3, message: warnings[1].message, severity: .warning)
        #expect(warnings[1] == spelled)
        #expect(warnings[0] != spelled)
        warnings[1].message = "replaced"
        #expect(warnings[1].message == "replaced")
        #expect(warnings[1].description == "\(path):3: warning: replaced")
    }

    @Test func warningsAreSortedByFileThenLine() throws {
        let (path, result) = try Self.load("10.1.0.0/8\n192.0.2.7/24\n0.0.0.0/0\n",
                                           config: "reroute = yes\nrelay_clients = file:list.cidr 198.51.100.9/24\nmode = report\n")
        let warnings = try result.get().warnings.map(\.description)
        #expect(warnings == [
            "relayguard.conf:2: warning: relay_clients: \"198.51.100.9/24\" has host bits set; it matches as 198.51.100.0/24",
            "relayguard.conf:3: warning: mode = report: nothing is rejected, denials are only logged",
            "\(path):1: warning: relay_clients: \"10.1.0.0/8\" has host bits set; it matches as 10.0.0.0/8",
            "\(path):2: warning: relay_clients: \"192.0.2.7/24\" has host bits set; it matches as 192.0.2.0/24",
            "\(path):3: warning: relay_clients: \"0.0.0.0/0\" matches every address: an open relay for encapsulated and routed recipients",
        ])
    }
}
