import BFSCluster
import BFSCoordination
import BFSCore
import Foundation
import Logging
import Synchronization

/// What every ops handler and action shares.
public final class OpsContext: Sendable {
    /// The settings in force.
    public let settings: OpsSettings
    /// The cluster as coordination shows it.
    let view: ClusterView
    /// Where groups and volumes are written.
    let coordination: any Coordination
    /// Store and directory calls.
    let calls: OpsCalls
    /// Login sessions.
    public let sessions: OpsSessions
    /// Running and recent jobs.
    public let jobs = OpsJobs()
    /// Recent store status changes.
    let history = OpsHistory()
    /// Adding free volumes, creating groups and allocating run one at a time in this process
    /// (`OpsSerial`) and in the cluster (`ProvisioningLock`); see `provision`.
    private let provisioning = OpsSerial()
    private let provisioningLock: ProvisioningLock
    /// The admin password, parsed; nil when logins are off.
    let password: PasswordHash?
    let logger: Logger
    private let stopping = Atomic<Bool>(false)

    /// Set once the service stops: running jobs give up instead of polling a closed client.
    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Marks the service as stopping.
    func beginStopping() { stopping.store(true, ordering: .releasing) }

    init(settings: OpsSettings, view: ClusterView, coordination: any Coordination, calls: OpsCalls, logger: Logger) {
        self.settings = settings
        self.view = view
        self.coordination = coordination
        self.calls = calls
        self.logger = logger
        sessions = OpsSessions(lifetime: settings.loginLifetime, attemptsPerMinute: settings.loginAttemptsPerMinute)
        password = PasswordHash(encoded: settings.adminPasswordHash)
        provisioningLock = ProvisioningLock(coordination: coordination, patience: Self.provisioningPatience)
    }

    /// How long a provisioning action waits for another console's before answering 409.
    static let provisioningPatience: Duration = .seconds(30)

    /// Runs a provisioning action once every earlier one, in this process and in any other ops
    /// process of the cluster, has finished.
    func provision<T>(_ work: () async throws(OpsRequestError) -> T) async throws(OpsRequestError) -> T {
        try await provisioning.run { () async throws(OpsRequestError) -> T in
            try await provisioningLock.run(work)
        }
    }

    /// The current cluster snapshot (watched; it follows writes a moment later).
    var snapshot: ClusterSnapshot { view.snapshot }

    /// The cluster read afresh, for actions that must see what earlier actions wrote (a second
    /// `createGroups` right after the first must not group the same stores again).
    func freshSnapshot() async throws(OpsRequestError) -> ClusterSnapshot {
        do { return try await view.readNow() } catch {
            throw OpsRequestError(status: 503, description: "coordination: \(error)")
        }
    }

    /// `/info` of every store in `ids` (all known stores when nil), fetched concurrently; a store
    /// that did not answer maps to its error text.
    func infos(of ids: [StoreID]? = nil, in snapshot: ClusterSnapshot? = nil) async -> [StoreID: Result<StoreInfo, OpsCalls.Failure>] {
        let snapshot = snapshot ?? self.snapshot
        let stores = (ids ?? Array(snapshot.stores.keys)).compactMap { snapshot.stores[$0] }
        return await withTaskGroup(of: (StoreID, Result<StoreInfo, OpsCalls.Failure>).self) { group in
            for store in stores {
                group.addTask { (store.id, await self.calls.info(stat: store.node.stat)) }
            }
            var out: [StoreID: Result<StoreInfo, OpsCalls.Failure>] = [:]
            for await (id, result) in group { out[id] = result }
            return out
        }
    }

    /// The group holding `store`, if any.
    func group(of store: StoreID, in snapshot: ClusterSnapshot) -> ClusterGroup? {
        snapshot.groups.values.sorted { $0.id < $1.id }.first { $0.members.contains(store) }
    }
}

/// An error an action answers with a 4xx status and a message, changing nothing.
struct OpsRequestError: Error, CustomStringConvertible {
    /// The HTTP status (400, 404, 409).
    let status: Int
    /// For the operator.
    let description: String

    static func bad(_ message: String) -> OpsRequestError { OpsRequestError(status: 400, description: message) }
    static func notFound(_ message: String) -> OpsRequestError { OpsRequestError(status: 404, description: message) }
}

/// One store's outcome of an action, as every action reports it.
struct StoreResult: Codable, Sendable, Equatable {
    /// The store.
    var store: StoreID
    /// Whether this store's part succeeded.
    var ok: Bool
    /// What happened (e.g. `created 3`, `already present`) or why it failed.
    var detail: String
}
