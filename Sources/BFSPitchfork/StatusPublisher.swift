import BFSCoordination
import BFSCore
import Foundation

/// The pitchfork's writes to coordination, in the shapes bfs readers expect (layout table in
/// `ZnodeLayout.swift`). Async calls on the coordination client: they suspend a task, never a
/// loop thread.
struct StatusPublisher: Sendable {
    /// What a status write did.
    enum StatusWrite: Sendable, Equatable {
        /// The node now holds the new status (and `/rack` was bumped).
        case written
        /// The node already held that status; nothing was written.
        case unchanged
        /// The node is gone or holds no store JSON yet: nothing to write into.
        case missing
    }

    /// Attempts of the read-modify-write of a store node before giving up until the next round.
    static let statusAttempts = 5

    let coordination: any Coordination

    /// Sets `status` in the store's JSON with a versioned read-modify-write (a store publishing
    /// its addresses at the same moment is never overwritten, unlike bfs's blind `Set`), then
    /// bumps `/rack` so directories wake up.
    func publish(status: StoreNode.Status, rack: String, id: StoreID) async throws(CoordinationError) -> StatusWrite {
        let path = ZnodeLayout.store(rack: rack, id: id)
        for _ in 0..<Self.statusAttempts {
            let current: NodeData
            do {
                current = try await coordination.get(path)
            } catch .noNode {
                return .missing
            }
            guard var node = try? JSONDecoder().decode(StoreNode.self, from: Data(current.data)) else { return .missing }
            if node.status == status { return .unchanged }
            node.status = status
            do {
                try await coordination.set(path, data: node.jsonBytes(), version: current.stat.version)
            } catch .badVersion {
                continue
            }
            try await bumpRacks()
            return .written
        }
        throw .badVersion(path: path)
    }

    /// Writes each volume's state to `/volume/<vid>` (bfs: last writer wins) and to the replica's
    /// own `/volume/<vid>/<storeId>`, creating the nodes when ops has not made them yet.
    func publish(states: [VolumeID: VolumeState], store: StoreID) async throws(CoordinationError) {
        for (vid, state) in states.sorted(by: { $0.key < $1.key }) {
            let bytes = state.jsonBytes()
            try await setCreating(ZnodeLayout.volume(vid), bytes)
            try await setCreating(ZnodeLayout.volumeReplica(vid: vid, store: store), bytes)
        }
    }

    /// Joins the pitchfork list: an ephemeral sequential node under `/pitchfork` (created when
    /// missing); answers its path.
    func join() async throws(CoordinationError) -> String {
        try await coordination.ensurePath(ZnodeLayout.pitchforks)
        return try await coordination.create(ZnodeLayout.pitchforkPrefix, data: [], mode: [.ephemeral, .sequential])
    }

    /// Sets `/rack`'s data to empty, firing the data watch every directory keeps on it.
    private func bumpRacks() async throws(CoordinationError) {
        try await coordination.set(ZnodeLayout.racks, data: [], version: -1)
    }

    /// A blind set that creates the node when it is missing, with its data in the create: a bfs
    /// directory fails its whole sync on an empty `/volume/<vid>` (reference §2.2), so no node
    /// is ever shown empty. Missing parents are created (empty, as ops would).
    private func setCreating(_ path: String, _ bytes: [UInt8]) async throws(CoordinationError) {
        do {
            try await coordination.set(path, data: bytes, version: -1)
            return
        } catch .noNode {}
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try await coordination.ensurePath(String(path[..<slash]))
        }
        do {
            _ = try await coordination.create(path, data: bytes, mode: .persistent)
        } catch .nodeExists {
            try await coordination.set(path, data: bytes, version: -1)
        }
    }
}
