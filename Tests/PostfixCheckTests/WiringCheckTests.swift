import Foundation
import PostfixCheck
import RelayGuardConfig
import RelayPolicy
import Testing

/// A private Postfix configuration directory: main.cf and master.cf as an admin writes them, read by the real
/// `postconf -c`, never the system's /etc/postfix.
struct PostfixConfigDirectory: ~Copyable {
    let path: String

    /// `main` lines, and master.cf: Debian's smtpd line (chrooted) plus `extraServices`.
    init(main: String, smtpdChroot: String = "y", extraServices: String = "") throws {
        path = NSTemporaryDirectory() + "relayguard-check-postfix-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try (main + "\n").write(toFile: path + "/main.cf", atomically: true, encoding: .utf8)
        let master = """
            smtp      inet  n       -       \(smtpdChroot)       -       -       smtpd
            pickup    unix  n       -       y       60      1       pickup
            cleanup   unix  n       -       y       -       0       cleanup
            qmgr      unix  n       -       n       300     1       qmgr

            """ + extraServices
        try master.write(toFile: path + "/master.cf", atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A gateway that is wired right: RelayGuard on the package's unix socket inside the chroot, fail closed, relay
/// domain and its subdomains local to RelayGuard too.
let cleanMain = """
    smtpd_milters = unix:/relayguard/relayguard.sock
    milter_default_action = tempfail
    mynetworks = 127.0.0.0/8 [::1]/128
    mydestination =
    relay_domains = corp.test
    """
let packageSocket = "socket = unix:/var/spool/postfix/relayguard/relayguard.sock\n"
/// postfix-examples/gateway-policy-spawn: RelayGuard as a spawned policy service, no milter.
let policyMain = cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock", with:
    "smtpd_relay_restrictions = check_policy_service unix:private/relayguard, permit_mynetworks, reject_unauth_destination")
let policySpawn = "relayguard unix - n n - 0 spawn\n  user=relayguard argv=/usr/sbin/relayguard policy\n"
let gatewayPolicy = packageSocket + "local_domains = corp.test .corp.test\n"

/// `policySocket`: RelayGuard's `policy_socket`; `milter: false` adds `socket = none`.
func findings(main: String, relayGuard: String = gatewayPolicy, smtpdChroot: String = "y", extraServices: String = "",
              policySocket: String? = nil, milter: Bool = true) throws -> [Finding] {
    let directory = try PostfixConfigDirectory(main: main, smtpdChroot: smtpdChroot, extraServices: extraServices)
    let settings = try Postconf(configDirectory: directory.path).read()
    var text = relayGuard
    if let policySocket { text += "policy_socket = \(policySocket)\n" }
    if !milter { text = text.replacingOccurrences(of: packageSocket, with: "") + "socket = none\n" }
    let configuration = try Configuration.parse(text, file: "relayguard.conf", baseDirectory: "/")
    let daemon = configuration.daemon
    return WiringCheck(postfix: settings, socket: daemon.serveMilter ? daemon.socket : nil,
                       policySocket: daemon.policySocket, localDomains: configuration.policy.localDomains).findings()
}

/// The package's policy listener, asked first in smtpd_relay_restrictions, the milter not named.
let listenerMain = cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock", with:
    "smtpd_relay_restrictions = check_policy_service unix:relayguard/policy.sock, permit_mynetworks, reject_unauth_destination")
let packagePolicySocket = "unix:/var/spool/postfix/relayguard/policy.sock"

@Suite("check-postfix against real postconf -c")
struct WiringCheckTests {
    @Test("a gateway wired right has nothing to fix")
    func clean() throws {
        #expect(try findings(main: cleanMain) == [])
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let main: String
        var relayGuard = gatewayPolicy
        var smtpdChroot = "y"
        var extraServices = ""
        var policySocket: String?
        var milter = true
        /// Every finding's code, in order.
        let codes: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no smtpd_milters",
             main: cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock", with: ""),
             codes: ["milter-missing"]),
        Case(name: "another milter only",
             main: cleanMain.replacingOccurrences(of: "unix:/relayguard/relayguard.sock", with: "inet:127.0.0.1:8891"),
             codes: ["milter-missing"]),
        Case(name: "submission overrides smtpd_milters without RelayGuard", main: cleanMain,
             extraServices: """
                 submission inet n       -       y       -       -       smtpd
                   -o smtpd_milters=inet:127.0.0.1:8891
                   -o smtpd_sasl_auth_enable=yes

                 """,
             codes: ["service-overrides-milters"]),
        Case(name: "submission override that keeps RelayGuard", main: cleanMain,
             extraServices: """
                 submission inet n       -       y       -       -       smtpd
                   -o smtpd_milters=inet:127.0.0.1:8891,unix:relayguard/relayguard.sock

                 """,
             codes: []),
        Case(name: "smtpd_milters through another parameter is expanded",
             main: cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock",
                                                  with: "smtpd_milters = $site_milters\nsite_milters = inet:127.0.0.1:8891"),
             codes: ["milter-missing"]),
        Case(name: "absolute path from outside the chroot",
             main: cleanMain.replacingOccurrences(of: "unix:/relayguard", with: "unix:/var/spool/postfix/relayguard"),
             codes: ["chroot-unreachable"]),
        Case(name: "absolute path without chroot is fine",
             main: cleanMain.replacingOccurrences(of: "unix:/relayguard", with: "unix:/var/spool/postfix/relayguard"),
             smtpdChroot: "n", codes: []),
        Case(name: "socket outside the queue directory with a chrooted smtpd",
             main: cleanMain.replacingOccurrences(of: "unix:/relayguard/relayguard.sock", with: "unix:/run/relayguard.sock"),
             relayGuard: "socket = unix:/run/relayguard.sock\nlocal_domains = corp.test .corp.test\n",
             codes: ["chroot-unreachable", "socket-outside-chroot"]),
        Case(name: "inet socket named as localhost",
             main: cleanMain.replacingOccurrences(of: "unix:/relayguard/relayguard.sock", with: "inet:localhost:8894"),
             relayGuard: "socket = inet:8894@127.0.0.1\nlocal_domains = corp.test .corp.test\n", codes: []),
        Case(name: "inet socket on another port",
             main: cleanMain.replacingOccurrences(of: "unix:/relayguard/relayguard.sock", with: "inet:127.0.0.1:8895"),
             relayGuard: "socket = inet:8894@127.0.0.1\nlocal_domains = corp.test .corp.test\n", codes: ["milter-missing"]),
        Case(name: "RelayGuard in non_smtpd_milters",
             main: cleanMain + "\nnon_smtpd_milters = unix:/relayguard/relayguard.sock", codes: ["non-smtpd-milters"]),
        Case(name: "milter_default_action = accept",
             main: cleanMain.replacingOccurrences(of: "milter_default_action = tempfail", with: "milter_default_action = accept"),
             codes: ["milter-fails-open"]),
        Case(name: "per-milter default_action=accept",
             main: cleanMain.replacingOccurrences(of: "unix:/relayguard/relayguard.sock", with: "{ unix:/relayguard/relayguard.sock, default_action=accept }"),
             codes: ["milter-fails-open"]),
        Case(name: "main.cf accept, but RelayGuard's entry fails closed on its own",
             main: cleanMain.replacingOccurrences(of: "milter_default_action = tempfail", with: "milter_default_action = accept")
                .replacingOccurrences(of: "unix:/relayguard/relayguard.sock", with: "{ unix:/relayguard/relayguard.sock, default_action=tempfail }"),
             codes: []),
        Case(name: "milter_default_action = shutdown",
             main: cleanMain.replacingOccurrences(of: "milter_default_action = tempfail", with: "milter_default_action = shutdown"),
             codes: ["milter-default-shutdown"]),
        Case(name: "milter_protocol below 6", main: cleanMain + "\nmilter_protocol = 4", codes: ["milter-protocol"]),
        Case(name: "allow_untrusted_routing", main: cleanMain + "\nallow_untrusted_routing = yes", codes: ["untrusted-routing"]),
        Case(name: "mynetworks is the Internet",
             main: cleanMain.replacingOccurrences(of: "mynetworks = 127.0.0.0/8 [::1]/128", with: "mynetworks = 127.0.0.0/8 0.0.0.0/0 [::]/0"),
             codes: ["mynetworks-wide"]),
        Case(name: "relay domain's subdomains not local to RelayGuard", main: cleanMain,
             relayGuard: packageSocket + "local_domains = corp.test\n", codes: ["subdomains-not-local"]),
        Case(name: "subdomains not matched when Postfix does not match them",
             main: cleanMain + "\nparent_domain_matches_subdomains =", relayGuard: packageSocket + "local_domains = corp.test\n", codes: []),
        Case(name: "relay domain unknown to RelayGuard",
             main: cleanMain.replacingOccurrences(of: "relay_domains = corp.test", with: "relay_domains = corp.test, other.test"),
             codes: ["domain-not-local", "subdomains-not-local"]),
        Case(name: "mydestination unknown to RelayGuard", main: cleanMain + "\nmydestination = mail.corp.test, localhost",
             codes: ["domain-not-local"]),
        Case(name: "the policy front end instead of the milter",
             main: policyMain, extraServices: policySpawn, codes: []),
        Case(name: "a policy service nothing asks",
             main: policyMain.replacingOccurrences(of: "check_policy_service unix:private/relayguard, ", with: ""),
             extraServices: policySpawn, codes: ["policy-missing"]),
        Case(name: "the policy service asked after permit_mynetworks",
             main: policyMain.replacingOccurrences(of: "check_policy_service unix:private/relayguard, permit_mynetworks",
                                                   with: "permit_mynetworks, check_policy_service unix:private/relayguard"),
             extraServices: policySpawn, codes: ["policy-after-permit"]),
        Case(name: "the policy service fails open",
             main: policyMain + "\nsmtpd_policy_service_default_action = DUNNO", extraServices: policySpawn,
             codes: ["policy-fails-open"]),
        Case(name: "no local_domains: domains are not compared",
             main: cleanMain.replacingOccurrences(of: "relay_domains = corp.test", with: "relay_domains = other.test"),
             relayGuard: packageSocket, codes: []),
        Case(name: "the policy listener asked instead of the milter", main: listenerMain,
             policySocket: packagePolicySocket, codes: []),
        Case(name: "the policy listener on inet", main: listenerMain.replacingOccurrences(of: "unix:relayguard/policy.sock", with: "inet:localhost:10040"),
             policySocket: "inet:10040@127.0.0.1", codes: []),
        Case(name: "the policy listener named from outside the chroot",
             main: listenerMain.replacingOccurrences(of: "unix:relayguard/policy.sock", with: "unix:/var/spool/postfix/relayguard/policy.sock"),
             policySocket: packagePolicySocket, codes: ["chroot-unreachable"]),
        Case(name: "the policy listener after permit_mynetworks",
             main: listenerMain.replacingOccurrences(of: "check_policy_service unix:relayguard/policy.sock, permit_mynetworks",
                                                     with: "permit_mynetworks, check_policy_service unix:relayguard/policy.sock"),
             policySocket: packagePolicySocket, codes: ["policy-after-permit"]),
        Case(name: "both sockets served, neither asked: the milter is advised",
             main: cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock", with: ""),
             policySocket: packagePolicySocket, codes: ["milter-missing"]),
        Case(name: "policy socket alone, nothing asks it",
             main: cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock", with: ""),
             policySocket: packagePolicySocket, milter: false, codes: ["policy-missing"]),
        Case(name: "policy socket alone outside the queue directory",
             main: listenerMain.replacingOccurrences(of: "unix:relayguard/policy.sock", with: "unix:/run/relayguard/policy.sock"),
             policySocket: "unix:/run/relayguard/policy.sock", milter: false, codes: ["chroot-unreachable", "socket-outside-chroot"]),
        Case(name: "the policy listener fails open", main: listenerMain + "\nsmtpd_policy_service_default_action = DUNNO",
             policySocket: packagePolicySocket, codes: ["policy-fails-open"]),
        Case(name: "the policy listener in Postfix's grouped form",
             main: listenerMain.replacingOccurrences(of: "unix:relayguard/policy.sock", with: "{ unix:relayguard/policy.sock, timeout=10s }"),
             policySocket: packagePolicySocket, codes: []),
        Case(name: "the grouped form's own default_action fails open",
             main: listenerMain.replacingOccurrences(of: "unix:relayguard/policy.sock", with: "{ unix:relayguard/policy.sock, default_action=DUNNO }"),
             policySocket: packagePolicySocket, codes: ["policy-fails-open"]),
        Case(name: "a service's own smtpd_policy_service_default_action fails open", main: listenerMain,
             extraServices: "submission inet n - y - - smtpd\n  -o smtpd_policy_service_default_action=DUNNO\n",
             policySocket: packagePolicySocket, codes: ["policy-fails-open"]),
    ]

    @Test(arguments: cases)
    func finds(_ row: Case) throws {
        let found = try findings(main: row.main, relayGuard: row.relayGuard, smtpdChroot: row.smtpdChroot, extraServices: row.extraServices,
                                 policySocket: row.policySocket, milter: row.milter)
        #expect(found.map(\.code) == row.codes, "\(found.map { "\($0.code): \($0.problem)" })")
    }

    @Test("the fix for a missing milter names the socket as a chrooted smtpd must")
    func fixText() throws {
        let found = try findings(main: cleanMain.replacingOccurrences(of: "unix:/relayguard/relayguard.sock", with: "inet:127.0.0.1:8891"))
        #expect(found.first?.fix == "postconf -e 'smtpd_milters = inet:127.0.0.1:8891, unix:relayguard/relayguard.sock'")
        let service = try findings(main: cleanMain, extraServices: "submission inet n - y - - smtpd\n  -o smtpd_milters=\n")
        #expect(service.first?.fix == "postconf -P 'submission/inet/smtpd_milters=unix:relayguard/relayguard.sock'")
        #expect(service.first?.location == "master.cf: submission/inet")
    }

    @Test("the fix for an unasked policy socket names it as a chrooted smtpd must")
    func policyFixText() throws {
        let found = try findings(main: cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock", with: ""),
                                 policySocket: packagePolicySocket, milter: false)
        // This main.cf sets no compatibility_level, so smtpd_relay_restrictions is empty (Postfix's default below level 1).
        #expect(found.first?.fix == "postconf -e 'smtpd_relay_restrictions = check_policy_service unix:relayguard/policy.sock'")
        let withList = try findings(main: cleanMain.replacingOccurrences(of: "smtpd_milters = unix:/relayguard/relayguard.sock",
                                                                        with: "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"),
                                    policySocket: packagePolicySocket, milter: false)
        #expect(withList.first?.fix == "postconf -e 'smtpd_relay_restrictions = check_policy_service unix:relayguard/policy.sock, permit_mynetworks, reject_unauth_destination'")
    }

    @Test("a configuration postconf cannot read is an error, not an empty report")
    func unreadable() {
        #expect(throws: Postconf.Failure.self) {
            try Postconf(configDirectory: "/nonexistent/relayguard-postfix").read()
        }
    }
}

@Suite("Postfix milter lists")
struct MilterListTests {
    @Test(arguments: [
        ("inet:127.0.0.1:8891, unix:/a.sock", [MilterEntry(address: "inet:127.0.0.1:8891"), MilterEntry(address: "unix:/a.sock")]),
        ("inet:127.0.0.1:8891 unix:/a.sock", [MilterEntry(address: "inet:127.0.0.1:8891"), MilterEntry(address: "unix:/a.sock")]),
        ("{ unix:/a.sock, default_action = accept, command_timeout=10s }, inet:h:1",
         [MilterEntry(address: "unix:/a.sock", settings: ["default_action": "accept", "command_timeout": "10s"]), MilterEntry(address: "inet:h:1")]),
        ("", []),
    ])
    func parses(_ text: String, _ expected: [MilterEntry]) {
        #expect(MilterEntry.list(text) == expected)
    }
}
