import BFSCluster
import BFSCoordination
import BFSCore
import BFSHTTP

/// Adding free volumes to stores and forming replica groups (reference §5 "space" and
/// "groups", without bfs's arbitrary grouping or its stop at the first error).
extension OpsContext {
    /// `POST /api/stores/free-volumes` body.
    struct AddFreeVolumesRequest: Decodable {
        /// Store ids; all registered stores when absent.
        var stores: [StoreID]?
        /// Free volumes to add per store; or `atLeast` or `size`.
        var count: Int?
        /// Free volumes each store should have: only the shortfall is added, so repeating the
        /// call adds nothing (`at_least`).
        var atLeast: Int?
        /// Capacity per store ("64GiB", bytes or with a unit), divided by each store's
        /// `free_volume_size`; or `count`.
        var size: String?
        /// Directory for the block and index files; each store's first data directory when absent.
        var dir: String?

        enum CodingKeys: String, CodingKey {
            case stores, count, size, dir
            case atLeast = "at_least"
        }
    }

    /// Free volumes one call may add to a store, however it is asked (`count`, `at_least`, `size`).
    static let maxFreeVolumesPerCall = 1000

    /// Adds free volumes on every named store at once; one result per store.
    func addFreeVolumes(_ request: AddFreeVolumesRequest) async throws(OpsRequestError) -> [StoreResult] {
        let sizeBytes: Int64?
        switch (request.count, request.atLeast, request.size) {
        case (let count?, nil, nil), (nil, let count?, nil):
            guard (1...Self.maxFreeVolumesPerCall).contains(count) else {
                throw .bad("\(request.count == nil ? "at_least" : "count") must be 1 ... \(Self.maxFreeVolumesPerCall)")
            }
            sizeBytes = nil
        case (nil, nil, let size?):
            guard let bytes = ConfigUnits.parseByteSize(size), bytes > 0 else { throw .bad("size '\(size)' is not a byte size") }
            sizeBytes = bytes
        default:
            throw .bad("give one of count, at_least or size")
        }
        let snapshot = try await freshSnapshot()
        let ids = try known(request.stores, in: snapshot)
        let infos = await infos(of: ids, in: snapshot)
        return await withTaskGroup(of: StoreResult.self) { group in
            for id in ids {
                group.addTask {
                    guard let store = snapshot.stores[id] else { return StoreResult(store: id, ok: false, detail: "not registered") }
                    let info: StoreInfo
                    switch infos[id] {
                    case .success(let i)?: info = i
                    case .failure(let e)?: return StoreResult(store: id, ok: false, detail: "unreachable: \(e)")
                    case nil: return StoreResult(store: id, ok: false, detail: "unreachable")
                    }
                    var count = request.count ?? 0
                    if let atLeast = request.atLeast {
                        let have = info.freeVolumes?.count ?? 0
                        guard have < atLeast else { return StoreResult(store: id, ok: true, detail: "already has \(have) free volumes") }
                        count = atLeast - have
                    }
                    if let sizeBytes {
                        let each = max(1, info.freeVolumeSize ?? (32 << 30))
                        count = Int(sizeBytes / each)
                        guard count > 0 else {
                            return StoreResult(store: id, ok: false, detail: "size is less than one volume (\(each) bytes)")
                        }
                        guard count <= Self.maxFreeVolumesPerCall else {
                            return StoreResult(store: id, ok: false, detail: "size makes \(count) volumes of \(each) bytes; "
                                + "at most \(Self.maxFreeVolumesPerCall) per call")
                        }
                    }
                    guard let dir = request.dir ?? info.dataDirs?.first else {
                        return StoreResult(store: id, ok: false, detail: "the store names no data directory: give dir")
                    }
                    let fields: FormFields = ["n": "\(count)", "bdir": dir, "idir": dir]
                    switch await self.calls.postForm(store.node.admin, "/add_free_volume", fields) {
                    case .success(let json):
                        let ret = (json["ret"] as? Int) ?? -1
                        let made = (json["succeed"] as? Int) ?? 0
                        if ret == 1 { return StoreResult(store: id, ok: true, detail: "created \(made) in \(dir)") }
                        let why = (json["error"] as? String).map { ": \($0)" } ?? ""
                        return StoreResult(store: id, ok: false, detail: "ret \(ret)\(why); created \(made) of \(count)")
                    case .failure(let e):
                        return StoreResult(store: id, ok: false, detail: "\(e)")
                    }
                }
            }
            var results: [StoreResult] = []
            for await r in group { results.append(r) }
            return results.sorted { $0.store < $1.store }
        }
    }

    /// `POST /api/groups` body.
    struct CreateGroupsRequest: Decodable {
        /// Store ids to group; every live ungrouped store when absent.
        var stores: [StoreID]?
        /// Replicas per group: 2 or 3.
        var copies: Int
    }

    /// A group made by `createGroups`.
    struct CreatedGroup: Encodable {
        var id: Int?
        var stores: [StoreID]
        var racks: [String]
        var rackDiverse: Bool
        var ok: Bool
        var detail: String

        enum CodingKeys: String, CodingKey {
            case id, stores, racks, ok, detail
            case rackDiverse = "rack_diverse"
        }
    }

    /// What `createGroups` did: the new groups, the stores it left alone and why. `ok` is false
    /// when a group failed, or when stores were named and one of them is in no group afterwards
    /// (down, or left over); stores that are down do not count when none were named.
    struct CreateGroupsReply: Encodable {
        var ok: Bool
        var groups: [CreatedGroup]
        var skipped: [StoreResult]
        var leftover: [StoreID]
    }

    /// Forms groups of `copies` from ungrouped live stores, rack-aware (`GroupPlanner`). Stores
    /// already in a group are skipped, so running it twice makes nothing new.
    func createGroups(_ request: CreateGroupsRequest) async throws(OpsRequestError) -> CreateGroupsReply {
        guard request.copies == 2 || request.copies == 3 else { throw .bad("copies must be 2 or 3") }
        let snapshot = try await freshSnapshot()
        let ids = try known(request.stores, in: snapshot)
        var skipped: [StoreResult] = []
        var candidates: [StoreID: String] = [:]
        for id in ids {
            guard let store = snapshot.stores[id] else { continue }
            if let g = group(of: id, in: snapshot) {
                skipped.append(StoreResult(store: id, ok: true, detail: "already in group \(g.id)"))
            } else if !store.isLive {
                skipped.append(StoreResult(store: id, ok: false, detail: "not live"))
            } else {
                candidates[id] = store.node.rack
            }
        }
        let plan = GroupPlanner.plan(stores: candidates, copies: request.copies)
        var created: [CreatedGroup] = []
        var nextID = (snapshot.groups.keys.max() ?? 0) + 1
        for planned in plan.groups {
            let racks = planned.stores.map { candidates[$0] ?? "" }
            var entry = CreatedGroup(id: nil, stores: planned.stores, racks: racks, rackDiverse: planned.rackDiverse, ok: false, detail: "")
            do {
                guard let gid = try await claim(parent: ZnodeLayout.groups, from: nextID, { ZnodeLayout.group($0) }) else {
                    entry.detail = "no group id is left"
                    created.append(entry)
                    continue
                }
                nextID = gid + 1
                entry.id = gid
                for store in planned.stores { try await coordination.ensurePath(ZnodeLayout.groupMember(gid: gid, store: store)) }
                entry.ok = true
                entry.detail = planned.rackDiverse ? "created" : "created; the racks left did not allow one store per rack"
            } catch {
                entry.detail = "coordination: \(error)"
            }
            created.append(entry)
        }
        let namedLeftOut = request.stores != nil && (!plan.leftover.isEmpty || skipped.contains { !$0.ok })
        return CreateGroupsReply(ok: created.allSatisfy(\.ok) && !namedLeftOut, groups: created, skipped: skipped, leftover: plan.leftover)
    }

    /// The requested store ids, all known; every registered store when nil.
    func known(_ ids: [StoreID]?, in snapshot: ClusterSnapshot) throws(OpsRequestError) -> [StoreID] {
        guard let ids else { return snapshot.stores.keys.sorted() }
        guard !ids.isEmpty else { throw .bad("stores is empty") }
        if let unknown = ids.first(where: { snapshot.stores[$0] == nil }) { throw .notFound("store \(unknown) is not registered") }
        return Array(Set(ids)).sorted()
    }

    /// Creates the first free numbered child `path(n)`, `from` <= n <= `limit`, and answers n;
    /// nil when every number up to `limit` is taken. A create (not a check) claims the number,
    /// so two ops never hand out the same group or volume id.
    func claim(parent: String, from: Int, limit: Int = Int.max, _ path: (Int) -> String) async throws(CoordinationError) -> Int? {
        try await coordination.ensurePath(parent)
        var n = max(1, from)
        while n <= limit {
            do {
                _ = try await coordination.create(path(n))
                return n
            } catch .nodeExists {
                n += 1
            }
        }
        return nil
    }
}
