import BFSCoordination
import BFSCore

/// One store as the cluster sees it: its published node, whether its session is alive, and the
/// volumes it registered under `/rack/<rack>/<storeId>`.
public struct ClusterStore: Sendable, Equatable {
    /// The store JSON (addresses, rack, status pitchfork wrote).
    public var node: StoreNode
    /// `/live/<storeId>` exists: the store's coordination session is alive.
    public var isLive: Bool
    /// The vids named by the children of the store's rack node, ascending.
    public var volumes: [VolumeID]

    /// Makes a store entry.
    public init(node: StoreNode, isLive: Bool, volumes: [VolumeID]) {
        self.node = node
        self.isLive = isLive
        self.volumes = volumes
    }

    /// The store id.
    public var id: StoreID { node.id }
    /// Live and `Health`: the only state in which a store takes writes.
    public var isWritable: Bool { isLive && node.status == .health }
    /// Live and readable (`Read` or `Health`).
    public var isReadable: Bool { isLive && node.status.canRead }
}

/// A group: the stores that hold the same volumes (`/group/<gid>/<storeId>`).
public struct ClusterGroup: Sendable, Equatable {
    /// The group id.
    public var id: Int
    /// The member store ids, ascending.
    public var members: [StoreID]

    /// Makes a group entry.
    public init(id: Int, members: [StoreID]) {
        self.id = id
        self.members = members
    }
}

/// A volume: the stores holding a replica (`/volume/<vid>/<storeId>`) and what was probed.
public struct ClusterVolume: Sendable, Equatable {
    /// The volume id.
    public var id: VolumeID
    /// The bfs-style state in `/volume/<vid>` (last writer wins); nil until probed.
    public var state: VolumeState?
    /// Per-replica state from `/volume/<vid>/<storeId>`; a member maps to nil until probed.
    public var replicas: [StoreID: VolumeState?]

    /// Makes a volume entry.
    public init(id: VolumeID, state: VolumeState?, replicas: [StoreID: VolumeState?]) {
        self.id = id
        self.state = state
        self.replicas = replicas
    }

    /// The best known state of the replica on `store`: its own node's data, else the shared
    /// `/volume/<vid>` state (what a bfs pitchfork writes), else nil.
    public func state(on store: StoreID) -> VolumeState? {
        if let replica = replicas[store], let replica { return replica }
        return state
    }
}

/// An immutable picture of the cluster built from coordination (layout in `ZnodeLayout`).
///
/// Built whole by `ClusterReader` and swapped in by `ClusterView`; a reader holding one sees
/// a consistent value however the cluster changes afterwards.
public struct ClusterSnapshot: Sendable, Equatable {
    /// Rack name -> the store ids registered in it, ascending.
    public var racks: [String: [StoreID]]
    /// Store id (the JSON `id`) -> store.
    public var stores: [StoreID: ClusterStore]
    /// Group id -> group.
    public var groups: [Int: ClusterGroup]
    /// Volume id -> volume.
    public var volumes: [VolumeID: ClusterVolume]
    /// The live pitchforks' node names under `/pitchfork` (their ids), ascending.
    public var pitchforks: [String]

    /// Makes a snapshot.
    public init(racks: [String: [StoreID]] = [:], stores: [StoreID: ClusterStore] = [:],
                groups: [Int: ClusterGroup] = [:], volumes: [VolumeID: ClusterVolume] = [:],
                pitchforks: [String] = []) {
        self.racks = racks
        self.stores = stores
        self.groups = groups
        self.volumes = volumes
        self.pitchforks = pitchforks
    }

    /// The empty cluster (before the first read).
    public static let empty = ClusterSnapshot()

    /// The stores holding a replica of `vid` that exist in the snapshot, in replica-name order.
    public func stores(of vid: VolumeID) -> [ClusterStore] {
        guard let volume = volumes[vid] else { return [] }
        return volume.replicas.keys.sorted().compactMap { stores[$0] }
    }
}
