import CMilter
import Synchronization

/// Everything the C callbacks need that is fixed for the life of the server.
///
/// Immutable and `Sendable`: libmilter's threads read it concurrently without locks once they hold it.
final class ServerContext: Sendable {
    let factory: any MilterSessionFactory
    /// Names fetched for each stage's callback, those configured for that stage: indexed by
    /// `MilterStage.dialogueOrder`, each name with its NUL-terminated spelling for `smfi_getsymval`, so a callback
    /// neither hashes a stage nor converts a name. Earlier stages' names are not fetched again: a session keeps what
    /// it needs from them, and every fetch is a lookup in libmilter plus a copy, on every callback of every session.
    let fetchLists: [[MacroName]]
    /// Arguments for `smfi_setsymlist` during negotiation: one per stage with names configured.
    let symbolLists: [SymbolList]

    /// The names `stage`'s callback sees, in fetch order.
    func visibleMacros(_ stage: MilterStage) -> [String] {
        fetchLists[stage.dialogueOrder].map(\.name)
    }

    struct MacroName: Sendable {
        let name: String
        let cName: [CChar]

        init(_ name: String) {
            self.name = name
            self.cName = Array(name.utf8CString)
        }
    }

    struct SymbolList: Sendable {
        /// SMFIM_* index of the stage.
        var stage: Int32
        /// Space-separated names, as libmilter sends them to the MTA.
        var names: String
    }

    /// Validates the configured macro names and precomputes what each callback needs.
    init(configuration: MilterConfiguration, factory: any MilterSessionFactory) throws(MilterError) {
        self.factory = factory
        var configured: [MilterStage: [String]] = [:]
        for (stage, names) in configuration.macros {
            var seen = Set<String>()
            var unique: [String] = []
            for name in names where seen.insert(name).inserted {
                // The MTA receives the list space-separated, so a space inside a name would split it.
                guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
                else {
                    throw MilterError(.configuration, detail: "macro name \"\(name)\" for stage \(stage) is empty or contains whitespace")
                }
                unique.append(name)
            }
            if !unique.isEmpty { configured[stage] = unique }
        }

        self.fetchLists = MilterStage.allCases.sorted { $0.dialogueOrder < $1.dialogueOrder }.map { stage in
            (configured[stage] ?? []).map(MacroName.init)
        }
        self.symbolLists = MilterStage.allCases.compactMap { stage in
            configured[stage].map { SymbolList(stage: stage.symbolListIndex, names: $0.joined(separator: " ")) }
        }
    }
}

extension MilterStage {
    /// The SMFIM_* constant `smfi_setsymlist` takes for this stage.
    var symbolListIndex: Int32 {
        switch self {
        case .connect: SMFIM_CONNECT
        case .helo: SMFIM_HELO
        case .mail: SMFIM_ENVFROM
        case .rcpt: SMFIM_ENVRCPT
        case .data: SMFIM_DATA
        case .endOfHeaders: SMFIM_EOH
        case .endOfMessage: SMFIM_EOM
        }
    }
}

/// The context of the running server. C callbacks cannot capture anything, so they find it here.
///
/// Written once by `MilterServer.run` before `smfi_main` starts libmilter's threads, then only read:
/// at negotiation and when a connection's session is created (2 reads per connection; every other
/// callback uses the copy kept in the connection's `SessionBox`). The mutex makes the
/// write/read ordering explicit instead of relying on thread creation for visibility.
private let installedContext = Mutex<ServerContext?>(nil)

/// Installs the context; libmilter keeps process-wide state, so a server runs once per process.
func installServerContext(_ context: ServerContext) throws(MilterError) {
    let installed = installedContext.withLock { current -> Bool in
        guard current == nil else { return false }
        current = context
        return true
    }
    guard installed else {
        throw MilterError(.configuration, detail: "MilterServer.run already called in this process; libmilter keeps "
            + "global state and cannot run twice")
    }
}

/// The running server's context, or `nil` if no server was started (then no callback can run).
func currentServerContext() -> ServerContext? {
    installedContext.withLock { $0 }
}

/// Undoes `installServerContext` when `run` fails before `smfi_main`, so the caller may fix the
/// configuration and try again. Never called once `smfi_main` has started threads.
func uninstallServerContext() {
    installedContext.withLock { $0 = nil }
}
