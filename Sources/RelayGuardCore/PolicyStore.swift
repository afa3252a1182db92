import RelayPolicy

/// The policy in force, swapped whole on reload.
///
/// A reload builds and validates the new policy off to the side, then `replace` swaps one reference under the lock.
/// A milter session takes the current snapshot once, at connect, and keeps it to the end, so a session in progress
/// never sees two policies and its RCPT decisions never touch the lock. The policy front end takes it per request
/// (`PolicyAnswerer`): smtpd keeps a policy connection across many SMTP sessions, and one request decides one
/// recipient.
public final class PolicyStore: Sendable {
    /// One policy and the reload generation that installed it (0 at start).
    public final class Snapshot: Sendable {
        public let policy: Policy
        public let generation: Int

        init(policy: Policy, generation: Int) {
            self.policy = policy
            self.generation = generation
        }

        /// `policy.decide(raw, parsed:client:)` on the stored policy in place. Written at the call site as
        /// `snapshot.policy.decide(...)`, Swift copies the whole `Policy` first: a retain and a release of each of its
        /// sets and templates, for every recipient.
        public func decide(_ raw: String, parsed: String?, client: Client) -> Decision {
            policy.decide(raw, parsed: parsed, client: client)
        }

        /// `policy.undecidable(address)`, in place like `decide`.
        public func undecidable(_ address: DecodedAddress) -> Decision {
            policy.undecidable(address)
        }
    }

    /// `Locked`, not `Synchronization.Mutex`: ThreadSanitizer must see this lock (see `Locked`).
    private let current: Locked<Snapshot>

    public init(_ policy: Policy) {
        current = Locked(Snapshot(policy: policy, generation: 0))
    }

    /// The policy in force now: for a new milter session, or for one policy request.
    public var snapshot: Snapshot { current.withLock { $0 } }

    /// Installs `policy` for milter sessions that start and policy requests that arrive from now on; returns its
    /// generation.
    @discardableResult
    public func replace(with policy: Policy) -> Int {
        current.withLock { snapshot in
            snapshot = Snapshot(policy: policy, generation: snapshot.generation + 1)
            return snapshot.generation
        }
    }
}
