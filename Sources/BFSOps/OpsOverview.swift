import BFSCluster
import BFSCoordination
import BFSCore

/// `GET /api/overview`: the cluster in one JSON document for the console's main page.
///
/// ```
/// { "racks": [ { "name", "stores": [ id ] } ],
///   "stores": [ { "id", "rack", "status", "live", "api", "admin", "stat", "group"?,
///                 "free_volumes", "free_space" (bytes, over its volumes), "error"?,
///                 "volumes": [ { "id", "size", "capacity", "fill" (0...1), "needles", "deleted", "compacting" } ],
///                 "failed_volumes": [ { "id", "error" } ] } ],
///   "groups": [ { "id", "stores", "racks", "rack_diverse", "volumes": [ vid ], "writable" } ],
///   "volumes": [ { "id", "replicas": [ id ], "free_space"? (bytes, least over the replicas) } ],
///   "pitchforks": [ id ], "directories": [ lease ], "history": [ OpsHistory.Change ], "jobs": [ OpsJobs.Job ] }
/// ```
struct Overview: Encodable {
    struct Rack: Encodable { var name: String; var stores: [StoreID] }
    struct Volume: Encodable {
        var id: Int32
        var size: Int64
        var capacity: Int64
        var fill: Double
        var needles: Int
        var deleted: Int
        var compacting: Bool
    }
    struct Failed: Encodable { var id: Int32; var error: String }
    struct Store: Encodable {
        var id: StoreID
        var rack: String
        var status: String
        var live: Bool
        var api: String, admin: String, stat: String
        var group: Int?
        var freeVolumes: Int
        var freeSpace: Int64
        var volumes: [Volume]
        var failedVolumes: [Failed]
        var error: String?

        enum CodingKeys: String, CodingKey {
            case id, rack, status, live, api, admin, stat, group, volumes, error
            case freeVolumes = "free_volumes"
            case freeSpace = "free_space"
            case failedVolumes = "failed_volumes"
        }
    }
    struct Group: Encodable {
        var id: Int
        var stores: [StoreID]
        var racks: [String]
        var rackDiverse: Bool
        var volumes: [Int32]
        var writable: Bool

        enum CodingKeys: String, CodingKey {
            case id, stores, racks, volumes, writable
            case rackDiverse = "rack_diverse"
        }
    }
    struct ClusterVolume: Encodable {
        var id: Int32
        var replicas: [StoreID]
        var freeSpace: Int64?

        enum CodingKeys: String, CodingKey {
            case id, replicas
            case freeSpace = "free_space"
        }
    }

    var racks: [Rack]
    var stores: [Store]
    var groups: [Group]
    var volumes: [ClusterVolume]
    var pitchforks: [String]
    var directories: [String]
    var history: [OpsHistory.Change]
    var jobs: [OpsJobs.Job]
}

extension OpsContext {
    /// Builds the overview from the cluster view and every store's `/info`.
    func overview() async -> Overview {
        let snapshot = self.snapshot
        let infos = await infos()
        let directories = (try? await coordination.children(ZnodeLayout.keyWorkers))?.filter { $0.hasPrefix("lease-") } ?? []
        var stores: [Overview.Store] = []
        for (id, store) in snapshot.stores.sorted(by: { $0.key < $1.key }) {
            var entry = Overview.Store(id: id, rack: store.node.rack, status: OpsHistory.name(store.node.status), live: store.isLive,
                                       api: store.node.api, admin: store.node.admin, stat: store.node.stat,
                                       group: group(of: id, in: snapshot)?.id, freeVolumes: 0, freeSpace: 0,
                                       volumes: [], failedVolumes: [], error: nil)
            switch infos[id] {
            case .success(let info)?:
                let capacity = info.freeVolumeSize ?? (32 << 30)
                entry.freeVolumes = info.freeVolumes?.count ?? 0
                entry.volumes = (info.volumes ?? []).map { v in
                    let cap = max(capacity, v.block.size)
                    return Overview.Volume(id: v.id, size: v.block.size, capacity: cap, fill: cap > 0 ? Double(v.block.size) / Double(cap) : 0,
                                           needles: v.needles ?? 0, deleted: v.deleted ?? 0, compacting: v.compact ?? false)
                }
                // Saturating: the sizes are the store's word, and a wrong one must not trap ops.
                let inFree = Int64(entry.freeVolumes).multipliedReportingOverflow(by: max(0, capacity))
                entry.freeSpace = entry.volumes.reduce(inFree.overflow ? .max : inFree.partialValue) {
                    saturatingSum($0, max(0, roomLeft(capacity: $1.capacity, size: $1.size)))
                }
                entry.failedVolumes = (info.failedVolumes ?? []).map { Overview.Failed(id: $0.id, error: $0.error) }
            case .failure(let e)?:
                entry.error = "\(e)"
            case nil:
                entry.error = "not asked"
            }
            stores.append(entry)
        }
        let groups = snapshot.groups.values.sorted { $0.id < $1.id }.map { g -> Overview.Group in
            let racks = g.members.map { snapshot.stores[$0]?.node.rack ?? "?" }
            let vids = snapshot.volumes.values.filter { v in !v.replicas.isEmpty && Set(v.replicas.keys).isSubset(of: g.members) }
                .map(\.id).sorted()
            let writable = !g.members.isEmpty && g.members.allSatisfy { snapshot.stores[$0]?.isWritable ?? false }
            return Overview.Group(id: g.id, stores: g.members, racks: racks, rackDiverse: Set(racks).count == racks.count,
                                  volumes: vids, writable: writable)
        }
        // Room left in a volume: the least over the replicas that answered (their capacity is
        // the stores' free volume size; the probed `free_space` counts to bfs's 32 GiB limit).
        var room: [Int32: Int64] = [:]
        for store in stores {
            for v in store.volumes { room[v.id] = min(room[v.id] ?? .max, roomLeft(capacity: v.capacity, size: v.size)) }
        }
        let volumes = snapshot.volumes.values.sorted { $0.id < $1.id }.map { v in
            Overview.ClusterVolume(id: v.id, replicas: v.replicas.keys.sorted(), freeSpace: room[v.id])
        }
        let racks = snapshot.racks.sorted { $0.key < $1.key }.map { Overview.Rack(name: $0.key, stores: $0.value) }
        return Overview(racks: racks, stores: stores, groups: groups, volumes: volumes, pitchforks: snapshot.pitchforks,
                        directories: directories.sorted(), history: history.recent, jobs: jobs.all)
    }
}

/// `capacity - size`, saturating.
private func roomLeft(capacity: Int64, size: Int64) -> Int64 {
    let (value, overflow) = capacity.subtractingReportingOverflow(size)
    return overflow ? (size < 0 ? .max : .min) : value
}

/// `a + b` for non-negative byte counts, saturating at `Int64.max`.
private func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
    let (value, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : value
}
