import RelayGuardConfig
import Testing

/// `timeout` (libmilter's idle limit) and the `metrics_listen` and `policy_socket` wildcard warnings.
struct DaemonLimitsTests {
    static func load(_ text: String) -> (configuration: Configuration?, messages: [String]) {
        do {
            let configuration = try Configuration.parse(text, file: "relayguard.conf", baseDirectory: "/")
            return (configuration, configuration.warnings.map(\.description))
        } catch {
            return (nil, error.diagnostics.map(\.description))
        }
    }

    @Test func timeoutDefaultsAboveSMTPDTimeout() throws {
        let configuration = try #require(Self.load("").configuration)
        #expect(configuration.daemon.timeout == 7210)
        #expect(configuration.effective.contains { $0.key == "timeout" && $0.value == "7210" && $0.isDefault })
    }

    @Test("timeout in whole seconds; below Postfix's smtpd_timeout it loads with a warning",
          arguments: [("3600", 3600, false), ("300", 300, false), ("30", 30, true), ("1", 1, true)])
    func timeoutAccepted(text: String, seconds: Int, warns: Bool) throws {
        let (configuration, messages) = Self.load("timeout = \(text)\n")
        #expect(configuration?.daemon.timeout == seconds)
        #expect(messages.contains { $0.contains("relayguard.conf:1: warning: timeout: \(seconds) s is shorter than Postfix's smtpd_timeout") } == warns,
                "\(messages)")
    }

    @Test("timeout refused unless whole seconds from 1 to 86400", arguments: ["0", "86401", "-5", "+5", "5s", "1.5", "", "٣"])
    func timeoutRefused(text: String) {
        let (configuration, messages) = Self.load("timeout = \(text)\n")
        #expect(configuration == nil)
        #expect(messages == ["relayguard.conf:1: timeout: expected whole seconds from 1 to 86400, got \"\(text)\""], "\(messages)")
    }

    @Test("metrics_listen on every address warns; a named address does not",
          arguments: [("inet:9894", true), ("inet:9894@0.0.0.0", true), ("inet6:9894", true), ("inet6:9894@[::]", true),
                      ("inet:9894@127.0.0.1", false), ("inet6:9894@[::1]", false), ("inet:9894@192.0.2.1", false)])
    func metricsWildcard(listen: String, warns: Bool) throws {
        let (configuration, messages) = Self.load("metrics_listen = \(listen)\n")
        #expect(configuration != nil, "\(messages)")
        let warning = messages.first { $0.contains("listens on every address") }
        #expect((warning != nil) == warns, "\(messages)")
        if let warning {
            #expect(warning.hasPrefix("relayguard.conf:1: warning: metrics_listen = \(listen) listens on every address"), "\(warning)")
            #expect(warning.contains(listen.hasPrefix("inet6") ? "inet6:9894@[::1]" : "inet:9894@127.0.0.1"), "\(warning)")
        }
    }

    @Test("policy_socket on every address warns; a named address or a unix socket does not",
          arguments: [("inet:10040", true), ("inet:10040@0.0.0.0", true), ("inet6:10040@[::]", true),
                      ("inet:10040@127.0.0.1", false), ("inet6:10040@[::1]", false), ("unix:/run/relayguard/policy.sock", false)])
    func policySocketWildcard(listen: String, warns: Bool) throws {
        let (configuration, messages) = Self.load("policy_socket = \(listen)\n")
        #expect(configuration != nil, "\(messages)")
        let warning = messages.first { $0.contains("listens on every address") }
        #expect((warning != nil) == warns, "\(messages)")
        if let warning {
            #expect(warning.hasPrefix("relayguard.conf:1: warning: policy_socket = \(listen) listens on every address"), "\(warning)")
            #expect(warning.contains(listen.hasPrefix("inet6") ? "inet6:10040@[::1]" : "inet:10040@127.0.0.1"), "\(warning)")
        }
    }
}
