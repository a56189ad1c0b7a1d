import BFSCoordination
import Logging
import Synchronization

/// Leases a snowflake worker id from coordination and feeds it to a `KeyGenerator`.
///
/// Acquiring: an ephemeral sequential `/keyworker/lease-<seq>` picks the first id to try,
/// `<seq> mod 1024` (so directories starting together spread out); the id is claimed by
/// creating the ephemeral `/keyworker/id-<n>`, which fails while another live session holds it,
/// and then the next id is tried (layout in `ZnodeLayout`). Create is atomic in ZooKeeper, so two
/// directories never hold one id at once.
///
/// Holding: key generation stops as soon as the lease might be lost. On `.disconnected` the
/// session may expire on the server while this process cannot tell, so the worker is cleared
/// and restored on `.connected`. On `.expired` it stays cleared; `.recovered` restores it if the
/// client re-created the claim, and otherwise (another directory took the id meanwhile)
/// acquires a new id from scratch.
public final class WorkerLease: Sendable {
    private struct State {
        var claim: String?
        var lease: String?
        var worker: Int?
        var expired = false
        var listening = false
        var stopped = false
    }

    private let coordination: any Coordination
    private let generator: KeyGenerator
    private let logger: Logger
    private let state = Mutex(State())

    /// Makes a lease that sets `generator`'s worker id; nothing happens until `acquire`.
    public init(coordination: any Coordination, generator: KeyGenerator, logger: Logger) {
        self.coordination = coordination
        self.generator = generator
        self.logger = logger
    }

    /// The worker id held right now, nil while none is (or key generation is paused).
    public var worker: Int? { generator.worker }

    /// Leases a worker id and starts key generation; answers the id.
    @discardableResult
    public func acquire() async throws(DirectoryError) -> Int {
        listenOnce()
        let worker: Int?
        do {
            worker = try await claimFreeWorker()
        } catch {
            throw .coordination(error)
        }
        guard let worker else { throw .workerIDsExhausted }
        return worker
    }

    /// Creates the lease and claims the first free id from its counter on; nil if all are held.
    private func claimFreeWorker() async throws(CoordinationError) -> Int? {
        try await coordination.ensurePath(ZnodeLayout.keyWorkers)
        let lease = try await coordination.create(ZnodeLayout.keyWorkerLeasePrefix, data: [], mode: [.ephemeral, .sequential])
        let first = Int(lease.suffix(10)).map { $0 % KeyGenerator.workerCount } ?? 0
        for offset in 0..<KeyGenerator.workerCount {
            let worker = (first + offset) % KeyGenerator.workerCount
            let claim = ZnodeLayout.keyWorkerID(worker)
            do {
                _ = try await coordination.create(claim, data: Array(lease.utf8), mode: .ephemeral)
            } catch .nodeExists {
                continue
            }
            hold(worker: worker, claim: claim, lease: lease)
            logger.info("leased key worker id", metadata: ["worker": "\(worker)", "lease": "\(lease)"])
            return worker
        }
        try? await coordination.delete(lease, version: -1)
        return nil
    }

    /// Stops key generation and gives the id back.
    public func release() async {
        let (claim, lease) = state.withLock { state in
            state.stopped = true
            defer { state.claim = nil; state.lease = nil; state.worker = nil }
            return (state.claim, state.lease)
        }
        generator.setWorker(nil)
        if let claim { try? await coordination.delete(claim, version: -1) }
        if let lease { try? await coordination.delete(lease, version: -1) }
    }

    private func hold(worker: Int, claim: String, lease: String) {
        let active = state.withLock { state -> Bool in
            state.claim = claim
            state.lease = lease
            state.worker = worker
            return !state.expired && !state.stopped
        }
        if active { generator.setWorker(worker) }
    }

    private func listenOnce() {
        let first = state.withLock { state -> Bool in
            defer { state.listening = true }
            return !state.listening
        }
        guard first else { return }
        coordination.addSessionListener { [weak self] event in self?.sessionDidChange(event) }
    }

    /// Pauses, resumes or re-acquires the lease as the session changes (internal for tests).
    func sessionDidChange(_ event: SessionEvent) {
        switch event {
        case .disconnected:
            generator.setWorker(nil)
        case .expired:
            state.withLock { $0.expired = true }
            generator.setWorker(nil)
        case .connected:
            let worker = state.withLock { $0.expired || $0.stopped ? nil : $0.worker }
            if let worker { generator.setWorker(worker) }
        case .recovered(let renamed, let failed):
            let (worker, lost) = state.withLock { state -> (Int?, Bool) in
                state.expired = false
                if let lease = state.lease, let new = renamed[lease] { state.lease = new }
                guard !state.stopped, let claim = state.claim else { return (nil, false) }
                if failed.contains(claim) {
                    state.claim = nil
                    state.worker = nil
                    return (nil, true)
                }
                return (state.worker, false)
            }
            if let worker { generator.setWorker(worker) }
            if lost { reacquire() }
        }
    }

    private func reacquire() {
        Task {
            let (lease, stopped) = self.state.withLock { state in
                defer { state.lease = nil }
                return (state.lease, state.stopped)
            }
            if let lease { try? await self.coordination.delete(lease, version: -1) }
            guard !stopped else { return }
            // Keys stay refused until this succeeds; retry each second while the lease is wanted.
            while !self.state.withLock({ $0.stopped }) {
                do {
                    try await self.acquire()
                    return
                } catch {
                    self.logger.error("could not lease a key worker id again; keys are refused", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }
}
