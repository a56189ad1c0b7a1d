import BFSCluster
import BFSCoordination
import BFSCore

/// Builds snapshots for placement tests: stores in one rack, groups, volumes with free space.
struct SnapshotBuilder {
    var snapshot = ClusterSnapshot()

    /// Adds a store holding `volumes`.
    mutating func store(_ id: StoreID, status: StoreNode.Status = .health, live: Bool = true, volumes: [VolumeID] = []) {
        let node = StoreNode(stat: "\(id):1", admin: "\(id):2", api: "\(id):3", id: id, rack: "rack", status: status)
        snapshot.stores[id] = ClusterStore(node: node, isLive: live, volumes: volumes.sorted())
        snapshot.racks["rack", default: []].append(id)
    }

    /// Adds a group of existing or future stores.
    mutating func group(_ id: Int, _ members: [StoreID]) {
        snapshot.groups[id] = ClusterGroup(id: id, members: members.sorted())
    }

    /// Adds a volume with the same probed free space on every replica (nil: never probed).
    mutating func volume(_ vid: VolumeID, on stores: [StoreID], free: UInt32?, delay: UInt64 = 0, writes: UInt64 = 0) {
        let state = free.map { VolumeState(totalWriteProcessed: writes, totalWriteDelay: delay, freeSpace: $0) }
        var replicas: [StoreID: VolumeState?] = [:]
        for store in stores { replicas[store] = state }
        snapshot.volumes[vid] = ClusterVolume(id: vid, state: state, replicas: replicas)
    }

    /// Sets the state of one replica only.
    mutating func replica(_ vid: VolumeID, on store: StoreID, free: UInt32) {
        snapshot.volumes[vid]?.replicas[store] = VolumeState(totalWriteProcessed: 0, totalWriteDelay: 0, freeSpace: free)
    }

    /// A group `gid` of `members` stores named "<gid>-<n>", each holding `vids` with `free` units.
    mutating func healthyGroup(_ gid: Int, members: Int = 3, vids: [VolumeID], free: UInt32) {
        let ids = (0..<members).map { "\(gid)-\($0)" }
        for id in ids { store(id, volumes: vids) }
        group(gid, ids)
        for vid in vids { volume(vid, on: ids, free: free) }
    }
}
