import BFSCoordination
import BFSCore
import Foundation
import Logging

/// Walks the znode tree (`ZnodeLayout`) into a `ClusterSnapshot`, reading through a
/// `WatchedCache` so each walk re-reads only nodes whose watch fired. Without a cache it reads
/// every node and arms no watch (the periodic check that the watched picture is right).
///
/// Tolerant where bfs was not (reference §6.16): a node deleted during the walk, a store
/// whose JSON is not written yet, or a volume never probed is skipped or left without state;
/// it never aborts the walk. Missing top-level lists (`/group` before ops made it) read as
/// empty, with an exists watch waiting for their creation. Session and connection errors do
/// abort it: the caller keeps its previous snapshot and walks again later.
struct ClusterReader {
    let coordination: any Coordination
    let cache: WatchedCache?
    let logger: Logger

    /// Reads the whole cluster.
    func read() async throws(CoordinationError) -> ClusterSnapshot {
        var snapshot = ClusterSnapshot()
        let live = Set(try await topLevel(ZnodeLayout.liveStores))
        for rack in try await topLevel(ZnodeLayout.racks).sorted() {
            guard let names = try await children(ZnodeLayout.rack(rack)) else { continue }
            for name in names.sorted() {
                let path = ZnodeLayout.store(rack: rack, id: name)
                guard let data = try await data(path) else { continue }
                guard let node = try? JSONDecoder().decode(StoreNode.self, from: Data(data)) else {
                    // ensurePath creates the node before the store's first publish sets the JSON.
                    if !data.isEmpty { logger.warning("ignoring malformed store node", metadata: ["path": "\(path)"]) }
                    continue
                }
                let vids = (try await children(path) ?? []).compactMap { VolumeID($0) }.sorted()
                snapshot.racks[rack, default: []].append(node.id)
                snapshot.stores[node.id] = ClusterStore(node: node, isLive: live.contains(node.id), volumes: vids)
            }
        }
        for name in try await topLevel(ZnodeLayout.groups) {
            guard let gid = Int(name), let members = try await children(ZnodeLayout.group(gid)) else { continue }
            snapshot.groups[gid] = ClusterGroup(id: gid, members: members.sorted())
        }
        for name in try await topLevel(ZnodeLayout.volumes) {
            guard let vid = VolumeID(name), let data = try await data(ZnodeLayout.volume(vid)) else { continue }
            var replicas: [StoreID: VolumeState?] = [:]
            for store in try await children(ZnodeLayout.volume(vid)) ?? [] {
                guard let replica = try await self.data(ZnodeLayout.volumeReplica(vid: vid, store: store)) else { continue }
                replicas[store] = Self.volumeState(replica)
            }
            snapshot.volumes[vid] = ClusterVolume(id: vid, state: Self.volumeState(data), replicas: replicas)
        }
        snapshot.pitchforks = try await topLevel(ZnodeLayout.pitchforks).sorted()
        return snapshot
    }

    /// A VolumeState, or nil for empty data (created, not probed yet) or data nobody can parse.
    static func volumeState(_ data: [UInt8]) -> VolumeState? {
        guard !data.isEmpty else { return nil }
        return try? JSONDecoder().decode(VolumeState.self, from: Data(data))
    }

    /// Children of a top-level list; empty (with an exists watch) while it does not exist.
    private func topLevel(_ path: String) async throws(CoordinationError) -> [String] {
        // Known missing while its exists watch waits: no call at all.
        if cache?.value(.exists, path) == .missing { return [] }
        if let names = try await children(path) { return names }
        guard let cache else { return [] }
        let (token, handler) = cache.arm(.exists, path)
        do {
            // Between the failed listing and this call the node may have appeared: list again.
            guard try await coordination.exists(path, watch: handler) == nil else {
                cache.disarm(.exists, path, token: token)
                return try await children(path) ?? []
            }
            cache.store(.exists, path, token: token, .missing)
            return []
        } catch {
            cache.disarm(.exists, path, token: token)
            throw error
        }
    }

    /// A node's child names, or nil when it does not exist.
    private func children(_ path: String) async throws(CoordinationError) -> [String]? {
        guard let cache else { return try await Self.orNil { () async throws(CoordinationError) in try await coordination.children(path) } }
        if case .children(let names) = cache.value(.children, path) { return names }
        let (token, handler) = cache.arm(.children, path)
        do {
            let names = try await coordination.children(path, watch: handler)
            cache.store(.children, path, token: token, .children(names))
            return names
        } catch .noNode {
            cache.disarm(.children, path, token: token)
            return nil
        } catch {
            cache.disarm(.children, path, token: token)
            throw error
        }
    }

    /// A node's data, or nil when it does not exist.
    private func data(_ path: String) async throws(CoordinationError) -> [UInt8]? {
        guard let cache else { return try await Self.orNil { () async throws(CoordinationError) in try await coordination.get(path).data } }
        if case .data(let bytes) = cache.value(.data, path) { return bytes }
        let (token, handler) = cache.arm(.data, path)
        do {
            let node = try await coordination.get(path, watch: handler)
            cache.store(.data, path, token: token, .data(node.data))
            return node.data
        } catch .noNode {
            cache.disarm(.data, path, token: token)
            return nil
        } catch {
            cache.disarm(.data, path, token: token)
            throw error
        }
    }

    /// The read's answer, or nil when the node does not exist.
    private static func orNil<T>(_ read: () async throws(CoordinationError) -> T) async throws(CoordinationError) -> T? {
        do {
            return try await read()
        } catch .noNode {
            return nil
        }
    }
}
