import BFSCoordination
import BFSCore
import Foundation
import Logging

/// Keeps this store's znodes (ZnodeLayout) in step with its disk, exactly as bfs does, plus the
/// ephemeral `/live/<storeId>` node that makes a dead store visible within one session timeout.
///
/// * `reconcile`: local volumes and the store's `/rack/<rack>/<id>/<vid>` children are merged as
///   bfs's startup does (reference §1.12): a local volume's node is created or set to its paths;
///   a volume known only to coordination is opened from the paths stored there.
/// * `publish`: writes the store JSON (keeping the `status` pitchfork owns), bumps `/rack` to wake
///   directories, and creates `/live/<id>`.
/// * After a session expiry the whole registration runs again (it is idempotent), so a store
///   whose ZooKeeper lost or restarted its session comes back registered and live.
public final class StoreRegistrar: StoreEvents {
    /// The addresses published in the store JSON.
    public struct Addresses: Sendable {
        public var api: String, admin: String, stat: String
        public init(api: String, admin: String, stat: String) {
            self.api = api
            self.admin = admin
            self.stat = stat
        }
    }

    /// A volume as the volume list and the znode text name it.
    public typealias Entry = RackVolume

    let coordination: any Coordination
    let id: StoreID
    let rack: String
    let logger: Logger

    public init(coordination: any Coordination, id: StoreID, rack: String, logger: Logger) {
        self.coordination = coordination
        self.id = id
        self.rack = rack
        self.logger = logger
    }

    var storePath: String { ZnodeLayout.store(rack: rack, id: id) }

    /// Merges local volumes with the store's volume znodes; returns the volumes coordination
    /// knows that are not local (the caller opens them from the stored paths).
    public func reconcile(local: [Entry]) async throws(CoordinationError) -> [Entry] {
        try await coordination.ensurePath(storePath)
        let localIDs = Set(local.map(\.vid))
        var remoteOnly: [Entry] = []
        for name in try await coordination.children(storePath) {
            guard let vid = VolumeID(name), !localIDs.contains(vid) else { continue }
            let node = try await coordination.get(ZnodeLayout.storeVolume(rack: rack, id: id, vid: vid))
            if let entry = RackVolume(bytes: node.data) {
                remoteOnly.append(entry)
            } else {
                logger.warning("ignoring malformed volume znode", metadata: ["vid": "\(vid)"])
            }
        }
        for entry in local {
            try await putVolume(entry)
        }
        return remoteOnly
    }

    /// Creates or sets `/rack/<rack>/<id>/<vid>` to the volume's paths.
    public func putVolume(_ entry: Entry) async throws(CoordinationError) {
        let path = ZnodeLayout.storeVolume(rack: rack, id: id, vid: entry.vid)
        do {
            _ = try await coordination.create(path, data: entry.bytes, mode: .persistent)
        } catch .nodeExists {
            _ = try await coordination.set(path, data: entry.bytes, version: -1)
        }
    }

    /// Writes the store JSON (keeping a status pitchfork already wrote), bumps `/rack`, and
    /// creates the ephemeral `/live/<id>`.
    public func publish(_ addresses: Addresses) async throws(CoordinationError) {
        try await coordination.ensurePath(storePath)
        // A versioned read-modify-write: pitchfork may set `status` concurrently; on a lost race
        // read again rather than overwrite its status (bfs exited at startup instead).
        while true {
            let current = try await coordination.get(storePath)
            let previous = try? JSONStatusReader.status(current.data)
            let node = StoreNode(stat: addresses.stat, admin: addresses.admin, api: addresses.api,
                                 id: id, rack: rack, status: previous ?? .initial)
            do {
                _ = try await coordination.set(storePath, data: node.jsonBytes(), version: current.stat.version)
                break
            } catch .badVersion {
                continue
            }
        }
        try await bumpRacks()
        try await coordination.ensurePath(ZnodeLayout.liveStores)
        do {
            _ = try await coordination.create(ZnodeLayout.live(id), data: [], mode: .ephemeral)
        } catch .nodeExists {
            // Our own node from a session that has not expired yet (a fast restart): it vanishes
            // with that session; replace it so the new session owns liveness.
            try? await coordination.delete(ZnodeLayout.live(id), version: -1)
            _ = try await coordination.create(ZnodeLayout.live(id), data: [], mode: .ephemeral)
        }
    }

    /// Sets `/rack`'s data (to empty) with its read version, firing directories' data watches.
    func bumpRacks() async throws(CoordinationError) {
        while true {
            let node = try await coordination.get(ZnodeLayout.racks)
            do {
                _ = try await coordination.set(ZnodeLayout.racks, data: [], version: node.stat.version)
                return
            } catch .badVersion {
                continue
            }
        }
    }

    /// Removes `/live/<id>` at a graceful stop (closing the session would too; this is explicit).
    public func withdraw() async {
        try? await coordination.delete(ZnodeLayout.live(id), version: -1)
    }

    public func volumeDidChange(id vid: VolumeID, block: String, index: String,
                                completion: @escaping @Sendable (Error?) -> Void) {
        let entry = RackVolume(blockPath: block, indexPath: index, vid: vid)
        Task {
            do {
                try await self.putVolume(entry)
                try await self.bumpRacks()
                completion(nil)
            } catch {
                self.logger.error("volume znode update failed", metadata: ["vid": "\(vid)", "error": "\(error)"])
                completion(error)
            }
        }
    }
}

/// Reads only the `status` of a store JSON written by anyone (bfs or us).
enum JSONStatusReader {
    struct Partial: Decodable { var status: StoreNode.Status? }

    static func status(_ data: [UInt8]) throws -> StoreNode.Status? {
        guard !data.isEmpty else { return nil }
        return try JSONDecoder().decode(Partial.self, from: Data(data)).status
    }
}
