import Testing

/// A private Postfix whose smtpd listeners each ask their own RelayGuard configuration through one front end.
///
/// Starting Postfix costs about a second, RelayGuard much less: so a suite starts one Postfix per front end and one
/// RelayGuard per listener, and its cases pick a listener (the configuration they need) instead of starting their
/// own pair. Cases share the sink: give each its own sender and read it with `messages(from:)`.
final class FrontEndGateway: Sendable {
    /// One smtpd listener: its own port, the RelayGuard settings it asks, and Postfix overrides of its own.
    struct Listener: Sendable, Hashable {
        /// Letters, digits and `_`: it names the service and a main.cf parameter.
        let name: String
        /// relayguard.conf lines.
        let settings: [String]
        /// Where smtpd listens, each at the listener's port (the addresses clients can connect to).
        var addresses = ["127.0.0.1"]
        /// master.cf `-o` overrides besides the front end's, e.g. `smtpd_sasl_auth_enable=yes`.
        var overrides: [String] = []
    }

    let frontEnd: FrontEnd
    let postfix: PostfixInstance
    private let ports: [String: UInt16]
    private let services: [String: FrontEndService]

    private init(frontEnd: FrontEnd, postfix: PostfixInstance, ports: [String: UInt16], services: [String: FrontEndService]) {
        self.frontEnd = frontEnd
        self.postfix = postfix
        self.ports = ports
        self.services = services
    }

    /// Starts a service per listener, then Postfix with a listener for each.
    static func start(_ frontEnd: FrontEnd, listeners: [Listener]) async throws -> FrontEndGateway {
        var services: [String: FrontEndService] = [:]
        do {
            // Every task's result is collected, so a failure leaves no started service behind.
            let started = await withTaskGroup(of: (String, Result<FrontEndService, any Error>).self) { group in
                for listener in listeners {
                    group.addTask {
                        do {
                            return (listener.name, .success(
                                try await FrontEndService.start(frontEnd, name: listener.name, settings: listener.settings)))
                        } catch {
                            return (listener.name, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for case (let name, .success(let service)) in started { services[name] = service }
            for case (_, .failure(let error)) in started { throw error }
            var ports: [String: UInt16] = [:]
            var masterCF: [String] = []
            var parameters = ["smtpd_authorized_xclient_hosts": "127.0.0.0/8"]
            for listener in listeners {
                let port = try FreePort.allocate()
                ports[listener.name] = port
                let service = services[listener.name]!
                let overrides = (service.listenerOverrides + listener.overrides).map { " -o " + $0 }.joined()
                masterCF += listener.addresses.map { "\($0):\(port) inet n - n - - smtpd" + overrides }
                masterCF += service.masterCF
                parameters.merge(service.mainParameters) { $1 }
            }
            let postfix = try await PostfixInstance.start(PostfixOptions(
                parameters: parameters, extraMasterCF: masterCF, outsideDomainsToSink: true))
            // The master binds every listener before it forks anything; the main port answering is not proof
            // for the others, this is.
            for listener in listeners {
                try await FreePort.waitUntilListening(ports[listener.name]!, what: "smtpd \(listener.name)")
            }
            return FrontEndGateway(frontEnd: frontEnd, postfix: postfix, ports: ports, services: services)
        } catch {
            for service in services.values { await service.stop() }
            throw error
        }
    }

    /// The smtpd port of `listener`.
    func port(_ listener: Listener) -> UInt16 { ports[listener.name]! }

    /// The RelayGuard that `listener` asks.
    func service(_ listener: Listener) -> FrontEndService { services[listener.name]! }

    func stop() async {
        await postfix.stop()
        for service in services.values { await service.stop() }
    }
}

/// One gateway per front end for a whole suite: `@Suite(.frontEndGateways(listeners))`, then
/// `try FrontEndGateways.current(frontEnd)` in tests.
struct FrontEndGatewaysTrait: SuiteTrait, TestScoping {
    let listeners: [FrontEndGateway.Listener]

    var isRecursive: Bool { false }

    func provideScope(
        for test: Test,
        testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        var gateways: [FrontEnd: FrontEndGateway] = [:]
        do {
            let started = await withTaskGroup(of: Result<FrontEndGateway, any Error>.self) { group in
                for frontEnd in FrontEnd.tested {
                    group.addTask {
                        do { return .success(try await FrontEndGateway.start(frontEnd, listeners: listeners)) }
                        catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for case .success(let gateway) in started { gateways[gateway.frontEnd] = gateway }
            for case .failure(let error) in started { throw error }
            try await FrontEndGateways.$instances.withValue(gateways) { try await function() }
        } catch {
            for gateway in gateways.values {
                print("\(gateway.frontEnd) gateway:\n\(gateway.postfix.maillog().suffix(3000))")
                await gateway.stop()
            }
            throw error
        }
        for gateway in gateways.values { await gateway.stop() }
    }
}

extension Trait where Self == FrontEndGatewaysTrait {
    static func frontEndGateways(_ listeners: [FrontEndGateway.Listener]) -> FrontEndGatewaysTrait {
        FrontEndGatewaysTrait(listeners: listeners)
    }
}

enum FrontEndGateways {
    @TaskLocal static var instances: [FrontEnd: FrontEndGateway] = [:]

    static func current(_ frontEnd: FrontEnd) throws -> FrontEndGateway {
        guard let gateway = instances[frontEnd] else {
            throw HarnessError("no \(frontEnd) gateway: add .frontEndGateways(...) to the suite")
        }
        return gateway
    }
}
