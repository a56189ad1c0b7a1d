import BFSCluster
import BFSCoordination
import BFSCore
import Foundation
import Synchronization

/// Recent status and liveness changes of stores, seen by comparing each cluster snapshot with
/// the one before (the overview's "health history"). Kept in memory, newest last, bounded.
final class OpsHistory: Sendable {
    /// One change.
    struct Change: Sendable, Codable, Equatable {
        /// Unix milliseconds when ops saw it.
        var time: Int64
        /// The store.
        var store: StoreID
        /// What changed, e.g. `status init -> health`, `live -> gone`, `registered`.
        var change: String
    }

    private struct State {
        var last: ClusterSnapshot?
        var changes: [Change] = []
    }

    private let state = Mutex(State())
    static let kept = 200

    /// Records what differs between the previous snapshot and `snapshot`.
    func observe(_ snapshot: ClusterSnapshot) {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        state.withLock { s in
            defer { s.last = snapshot }
            guard let last = s.last else { return }
            var found: [Change] = []
            for (id, store) in snapshot.stores.sorted(by: { $0.key < $1.key }) {
                guard let before = last.stores[id] else {
                    found.append(Change(time: now, store: id, change: "registered in \(store.node.rack)"))
                    continue
                }
                if before.node.status != store.node.status {
                    found.append(Change(time: now, store: id,
                                        change: "status \(Self.name(before.node.status)) -> \(Self.name(store.node.status))"))
                }
                if before.isLive != store.isLive {
                    found.append(Change(time: now, store: id, change: store.isLive ? "session live" : "session gone"))
                }
            }
            for id in last.stores.keys.sorted() where snapshot.stores[id] == nil {
                found.append(Change(time: now, store: id, change: "unregistered"))
            }
            s.changes.append(contentsOf: found)
            if s.changes.count > Self.kept { s.changes.removeFirst(s.changes.count - Self.kept) }
        }
    }

    /// The kept changes, newest first.
    var recent: [Change] { state.withLock { $0.changes.reversed() } }

    /// A status as operators name it (reference §3.3).
    static func name(_ status: StoreNode.Status) -> String {
        switch status {
        case .initial: "init"
        case .fail: "fail"
        case .read: "read"
        case .write: "write"
        case .health: "health"
        default: "\(status.rawValue)"
        }
    }
}
