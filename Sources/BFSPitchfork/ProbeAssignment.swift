import BFSCluster
import BFSCoordination
import BFSCore
import BFSLoop
import Synchronization

/// One owned store as `/stores` reports it.
public struct OwnedStore: Sendable, Equatable, Encodable {
    /// The store id.
    public var id: StoreID
    /// The status decided last (bfs integer).
    public var status: UInt32
    /// Consecutive good `/info` rounds.
    public var goodChecks: Int

    enum CodingKeys: String, CodingKey { case id, status, goodChecks = "good_checks" }
}

/// What `/stores` answers: this pitchfork's node name and the stores it probes.
public struct OwnedStores: Sendable, Equatable, Encodable {
    /// The node name under `/pitchfork` ("" until joined).
    public var id: String
    /// The owned stores, by id.
    public var stores: [OwnedStore]
}

/// Keeps one `StoreProber` per store this pitchfork owns, following the membership and every
/// new cluster snapshot (store or pitchfork added or gone, liveness, status). Loop thread only.
final class ProbeAssignment: @unchecked Sendable {
    private let context: ProbeContext
    private var myPath: String?
    private var snapshot = ClusterSnapshot.empty
    private var probers: [StoreID: StoreProber] = [:]
    private var stopped = false
    private let summary = Mutex(OwnedStores(id: "", stores: []))
    private var summaryTimer: LoopTimer?

    init(context: ProbeContext) {
        self.context = context
    }

    /// The owned stores with their latest status (any thread).
    var owned: OwnedStores { summary.withLock { $0 } }

    /// This pitchfork's node name under `/pitchfork`, once joined.
    var me: String? { myPath.map { String($0.split(separator: "/").last ?? "") } }

    /// Records the node created by joining, and takes up the stores it owns.
    func didJoin(path: String) {
        myPath = path
        apply(snapshot)
    }

    /// Follows the session: after an expiry the client re-creates the sequential node under a
    /// new name; if it could not, the node is created again.
    func sessionDidChange(_ event: SessionEvent, rejoin: @escaping () -> Void) {
        guard case .recovered(let renamed, let failed) = event, let path = myPath else { return }
        if let renamedPath = renamed[path] {
            myPath = renamedPath
            apply(snapshot)
        } else if failed.contains(path) {
            myPath = nil
            apply(snapshot)
            rejoin()
        }
    }

    /// Starts, updates and stops probers to match `snapshot`.
    func apply(_ snapshot: ClusterSnapshot) {
        guard !stopped else { return }
        self.snapshot = snapshot
        let mine = Set(me.map { WorkDivision.stores(snapshot.stores.keys, pitchforks: snapshot.pitchforks, me: $0) } ?? [])
        for (id, prober) in probers where !mine.contains(id) {
            prober.stop()
            probers[id] = nil
            context.logger.info("store handed over", metadata: ["store": "\(id)"])
        }
        for id in mine.sorted() {
            guard let store = snapshot.stores[id] else { continue }
            if let prober = probers[id] {
                prober.update(store)
            } else {
                let prober = StoreProber(store: store, context: context)
                probers[id] = prober
                prober.start()
                context.logger.info("store taken over", metadata: ["store": "\(id)", "status": "\(store.node.status.rawValue)"])
            }
        }
        context.metrics.setOwned(probers.count)
        refreshSummary()
        if summaryTimer == nil {
            // The summary also follows probe results between snapshots.
            summaryTimer = context.loop.scheduleTimer(after: context.settings.storeCheckMilliseconds,
                                                      repeating: context.settings.storeCheckMilliseconds) { [weak self] in self?.refreshSummary() }
        }
    }

    /// Stops every prober (service stop).
    func stop() {
        stopped = true
        summaryTimer?.close()
        for prober in probers.values { prober.stop() }
        probers = [:]
        refreshSummary()
    }

    private func refreshSummary() {
        let list = probers.keys.sorted().compactMap { id in
            probers[id].map { OwnedStore(id: id, status: $0.status.rawValue, goodChecks: $0.goodChecks) }
        }
        let id = me ?? ""
        summary.withLock { $0 = OwnedStores(id: id, stores: list) }
    }
}
