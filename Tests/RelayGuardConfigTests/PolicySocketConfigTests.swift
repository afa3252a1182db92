import RelayGuardConfig
import Testing

/// `policy_socket`, `socket = none`, `policy_max_connections`, `policy_timeout`.
struct PolicySocketConfigTests {
    static func load(_ text: String) -> (configuration: Configuration?, messages: [String]) {
        DaemonLimitsTests.load(text)
    }

    @Test("defaults: no policy socket, the milter served, 1000 connections, 330 s")
    func defaults() throws {
        let configuration = try #require(Self.load("").configuration)
        #expect(configuration.daemon.policySocket == nil)
        #expect(configuration.daemon.serveMilter)
        #expect(configuration.daemon.policyMaxConnections == 1000)
        #expect(configuration.daemon.policyTimeout == 330)
        let rendered = configuration.render()
        for line in ["\npolicy_socket = \n", "\npolicy_max_connections = 1000\n", "\npolicy_timeout = 330\n"] {
            #expect(rendered.contains(line), "\(rendered)")
        }
        #expect(Configuration.embeddedDefault.daemon.policySocket == nil)
    }

    @Test("policy_socket takes the socket syntax", arguments: [
        ("unix:/var/spool/postfix/relayguard/policy.sock", ListenSocket.unix(path: "/var/spool/postfix/relayguard/policy.sock")),
        ("local:/run/policy.sock", .unix(path: "/run/policy.sock")),
        ("inet:9895@127.0.0.1", .inet(port: 9895, host: "127.0.0.1")),
        ("inet6:9895@[::1]", .inet6(port: 9895, host: "::1")),
    ])
    func policySocket(text: String, expected: ListenSocket) throws {
        let (configuration, messages) = Self.load("policy_socket = \(text)\n")
        #expect(configuration?.daemon.policySocket == expected, "\(messages)")
    }

    @Test("errors name the file and line", arguments: [
        ("policy_socket = /run/policy.sock", "relayguard.conf:2: policy_socket: expected inet:PORT@HOST, inet6:PORT@[ADDR], unix:/path or local:/path (or nothing, for off), got \"/run/policy.sock\""),
        ("policy_socket = inet:0@127.0.0.1", "relayguard.conf:2: policy_socket: expected inet:PORT@HOST, inet6:PORT@[ADDR], unix:/path or local:/path (or nothing, for off), got \"inet:0@127.0.0.1\""),
        ("policy_max_connections = 0", "relayguard.conf:2: policy_max_connections: expected a whole number from 1 to 1000000, got \"0\""),
        ("policy_max_connections = 1e3", "relayguard.conf:2: policy_max_connections: expected a whole number from 1 to 1000000, got \"1e3\""),
        ("policy_timeout = -5", "relayguard.conf:2: policy_timeout: expected a whole number from 1 to 86400, got \"-5\""),
        ("policy_timeout = 86401", "relayguard.conf:2: policy_timeout: expected a whole number from 1 to 86400, got \"86401\""),
        ("socket = nowhere", "relayguard.conf:2: socket: expected inet:PORT@HOST, inet6:PORT@[ADDR], unix:/path, local:/path or none, got \"nowhere\""),
    ])
    func errors(line: String, message: String) {
        let (configuration, messages) = Self.load("# first line\n\(line)\n")
        #expect(configuration == nil)
        #expect(messages == [message], "\(messages)")
    }

    @Test("socket = none serves the policy socket alone, and needs one")
    func socketNone() throws {
        let alone = try #require(Self.load("socket = none\npolicy_socket = unix:/run/relayguard/policy.sock\n").configuration)
        #expect(!alone.daemon.serveMilter)
        #expect(alone.render().contains("\nsocket = none\n"))
        #expect(Self.load("\nsocket = none\n").messages == ["relayguard.conf:2: socket = none needs policy_socket: relayguard run would serve nothing"])
    }

    @Test("the milter's socket and the policy socket must differ")
    func sameSocket() {
        let messages = Self.load("socket = unix:/run/r.sock\npolicy_socket = local:/run/r.sock\n").messages
        #expect(messages == ["relayguard.conf:2: policy_socket = unix:/run/r.sock is also the milter's socket; give each its own"], "\(messages)")
    }

    @Test("policy_timeout below smtpd_policy_service_max_idle loads with a warning", arguments: [(330, false), (300, false), (299, true), (1, true)])
    func timeoutWarning(seconds: Int, warns: Bool) {
        let (configuration, messages) = Self.load("policy_timeout = \(seconds)\n")
        #expect(configuration?.daemon.policyTimeout == seconds)
        #expect(messages.contains { $0.hasPrefix("relayguard.conf:1: warning: policy_timeout: \(seconds) s is shorter than Postfix's smtpd_policy_service_max_idle") } == warns,
                "\(messages)")
    }
}
