/// One RelayGuard configuration served through one front end, and what a Postfix smtpd listener needs to ask it.
final class FrontEndService: Sendable {
    private enum Backing: Sendable {
        case process(RelayGuardProcess)
        case spawn(PolicySpawnService)
    }

    let frontEnd: FrontEnd
    /// master.cf `-o` overrides for an smtpd listener that asks this service.
    let listenerOverrides: [String]
    /// main.cf parameters the overrides refer to, or that the front end needs.
    let mainParameters: [String: String]
    /// Services to append to master.cf (the spawn(8) service).
    let masterCF: [String]
    private let backing: Backing

    /// Starts the service. `name` is unique within one Postfix: letters, digits and `_`.
    static func start(_ frontEnd: FrontEnd, name: String, settings: [String]) async throws -> FrontEndService {
        switch frontEnd {
        case .milter:
            let process = try await RelayGuardProcess(settings: settings)
            return FrontEndService(
                frontEnd, backing: .process(process),
                listenerOverrides: ["smtpd_milters=inet:127.0.0.1:\(process.port)"],
                // The harness's milter settings (PostfixConfigFiles), for every listener.
                mainParameters: ["milter_default_action": "tempfail", "milter_protocol": "6",
                                 "milter_connect_timeout": "5s", "milter_command_timeout": "10s"],
                masterCF: [])
        case .policyUnix, .policyInet:
            let process = try await RelayGuardProcess(settings: settings, policy: frontEnd.policyListen)
            let parameter = "relayguard_\(name)_relay_restrictions"
            return FrontEndService(
                frontEnd, backing: .process(process),
                listenerOverrides: ["smtpd_relay_restrictions=$\(parameter)"],
                mainParameters: [parameter: "check_policy_service \(process.postfixPolicyService!), "
                                    + "permit_mynetworks, reject_unauth_destination"],
                masterCF: [])
        case .spawn:
            let service = try PolicySpawnService(settings: settings, name: "relayguard_" + name)
            let parameter = "relayguard_\(name)_relay_restrictions"
            return FrontEndService(
                frontEnd, backing: .spawn(service),
                // A main.cf parameter holds the list: an -o value cannot contain the list's blanks.
                listenerOverrides: ["smtpd_relay_restrictions=$\(parameter)"],
                mainParameters: [parameter: PolicySpawnService.relayRestrictions(name: service.name)],
                masterCF: [service.masterCF])
        }
    }

    private init(_ frontEnd: FrontEnd, backing: Backing, listenerOverrides: [String], mainParameters: [String: String],
                 masterCF: [String]) {
        self.frontEnd = frontEnd
        self.backing = backing
        self.listenerOverrides = listenerOverrides
        self.mainParameters = mainParameters
        self.masterCF = masterCF
    }

    /// Everything logged so far: the decision lines, startup, errors.
    func log() -> String {
        switch backing {
        case .process(let process): process.log()
        case .spawn(let service): service.log()
        }
    }

    /// Every decision line so far, in order.
    func decisions() -> [MilterDecisionLine] {
        log().split(separator: "\n").compactMap(MilterDecisionLine.init)
    }

    func stop() async {
        switch backing {
        case .process(let process): await process.stop()
        case .spawn(let service): service.remove()
        }
    }
}
