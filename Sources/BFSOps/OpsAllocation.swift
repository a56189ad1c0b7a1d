import BFSCluster
import BFSCoordination
import BFSCore
import BFSHTTP

/// Allocating volumes on groups (reference §5 "volumes"): each new vid is claimed in
/// coordination, added on every member store, and only then published as replicas
/// (`/volume/<vid>/<storeId>`), so the directory never places a file on a volume some member
/// lacks. A vid a previous run left on some members only (never published, so empty) is
/// completed first; a fully added one that was not published is published.
extension OpsContext {
    /// `POST /api/volumes` body.
    struct AllocateRequest: Decodable {
        /// Group ids (each taken once); every group when absent.
        var groups: [Int]?
        /// New volumes per group; as many as the free volumes allow when absent. Fewer than asked
        /// for marks the group failed.
        var count: Int?
        /// Free volumes to leave on each member (compaction needs one); default 1.
        var keepFree: Int?

        enum CodingKeys: String, CodingKey {
            case groups, count
            case keepFree = "keep_free"
        }
    }

    /// One volume's outcome.
    struct AllocatedVolume: Encodable {
        var vid: Int32
        var ok: Bool
        var stores: [StoreResult]
    }

    /// One group's outcome.
    struct AllocatedGroup: Encodable {
        var group: Int
        var ok: Bool
        var detail: String
        var volumes: [AllocatedVolume]
    }

    /// Allocates volumes on the named groups; one result per group, volume and store.
    func allocate(_ request: AllocateRequest) async throws(OpsRequestError) -> [AllocatedGroup] {
        let keepFree = request.keepFree ?? 1
        guard keepFree >= 0 else { throw .bad("keep_free must be 0 or more") }
        if let count = request.count, !(1...10_000).contains(count) { throw .bad("count must be 1 ... 10000") }
        let snapshot = try await freshSnapshot()
        let gids = request.groups.map { Array(Set($0)).sorted() } ?? snapshot.groups.keys.sorted()
        if let unknown = gids.first(where: { snapshot.groups[$0] == nil }) { throw .notFound("group \(unknown) does not exist") }
        guard !gids.isEmpty else { throw .bad("there are no groups") }
        var results: [AllocatedGroup] = []
        var nextVid = nextVolumeID(snapshot)
        for gid in gids {
            let result = await allocate(group: snapshot.groups[gid]!, snapshot: snapshot, count: request.count,
                                        keepFree: keepFree, nextVid: &nextVid)
            results.append(result)
        }
        return results
    }

    private func allocate(group: ClusterGroup, snapshot: ClusterSnapshot, count: Int?, keepFree: Int,
                          nextVid: inout Int) async -> AllocatedGroup {
        var out = AllocatedGroup(group: group.id, ok: true, detail: "", volumes: [])
        let members = group.members.compactMap { snapshot.stores[$0] }
        guard members.count == group.members.count, !members.isEmpty else {
            return AllocatedGroup(group: group.id, ok: false, detail: "a member is not registered", volumes: [])
        }
        let infos = await self.infos(of: group.members, in: snapshot)
        var held: [StoreID: Set<Int32>] = [:]
        var free: [StoreID: Int] = [:]
        for member in group.members {
            guard case .success(let info)? = infos[member] else {
                return AllocatedGroup(group: group.id, ok: false, detail: "store \(member) did not answer /info; nothing changed", volumes: [])
            }
            held[member] = Set((info.volumes ?? []).map(\.id))
            free[member] = info.freeVolumes?.count ?? 0
        }
        // Vids on some or all members that were never published as replicas.
        let unpublished = Set(held.values.flatMap { $0 }).filter { vid in
            (snapshot.volumes[VolumeID(vid)]?.replicas.isEmpty ?? true)
        }
        for vid in unpublished.sorted() {
            let missing = group.members.filter { !(held[$0]?.contains(vid) ?? false) }
            let volume = await add(vid: vid, on: missing, all: members)
            out.volumes.append(volume)
            out.ok = out.ok && volume.ok
            for m in missing { free[m, default: 0] -= 1 }
        }
        let available = max(0, (free.values.min() ?? 0) - keepFree)
        let wanted = count ?? available
        let n = min(wanted, available)
        out.detail = n < wanted ? "\(n) of \(wanted): members have \(free.values.min() ?? 0) free volumes, keeping \(keepFree)"
            : "\(n) new"
        for _ in 0..<n where out.ok {
            let vid: Int
            do {
                guard let claimed = try await claim(parent: ZnodeLayout.volumes, from: nextVid, limit: Int(Int32.max),
                                                    { ZnodeLayout.volume(VolumeID($0)) }) else {
                    out.ok = false
                    out.detail += "; no volume id is left (ids end at \(Int32.max))"
                    break
                }
                vid = claimed
            } catch {
                out.ok = false
                out.detail += "; claiming a volume id failed: \(error)"
                break
            }
            nextVid = vid + 1
            let volume = await add(vid: Int32(vid), on: group.members, all: members)
            out.volumes.append(volume)
            out.ok = out.ok && volume.ok
        }
        if out.volumes.contains(where: { !$0.ok }) {
            out.detail += "; stopped at the first volume a member failed (run allocate again to complete it)"
        }
        // A count asked for and not met is a failure; without one, "as many as fit" always is met.
        if count != nil && n < wanted { out.ok = false }
        return out
    }

    /// `add_volume` on `stores` at once (8000, already there, counts as success); when every
    /// member of the group holds it, publishes the replicas.
    private func add(vid: Int32, on stores: [StoreID], all members: [ClusterStore]) async -> AllocatedVolume {
        let byID = Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0) })
        var results = await withTaskGroup(of: StoreResult.self) { group in
            for id in stores {
                group.addTask {
                    guard let admin = byID[id]?.node.admin else { return StoreResult(store: id, ok: false, detail: "not registered") }
                    switch await self.calls.postForm(admin, "/add_volume", ["vid": "\(vid)"]) {
                    case .success(let json):
                        switch (json["ret"] as? Int) ?? -1 {
                        case 1: return StoreResult(store: id, ok: true, detail: "added")
                        case 8000: return StoreResult(store: id, ok: true, detail: "already present")
                        case 7001: return StoreResult(store: id, ok: false, detail: "ret 7001: no free volume")
                        case let ret: return StoreResult(store: id, ok: false, detail: "ret \(ret)")
                        }
                    case .failure(let e):
                        return StoreResult(store: id, ok: false, detail: "\(e)")
                    }
                }
            }
            var out: [StoreResult] = []
            for await r in group { out.append(r) }
            return out
        }
        for m in members where !stores.contains(m.id) { results.append(StoreResult(store: m.id, ok: true, detail: "already present")) }
        results.sort { $0.store < $1.store }
        guard results.allSatisfy(\.ok) else { return AllocatedVolume(vid: vid, ok: false, stores: results) }
        do {
            for m in members { try await coordination.ensurePath(ZnodeLayout.volumeReplica(vid: VolumeID(vid), store: m.id)) }
        } catch {
            for i in results.indices { results[i] = StoreResult(store: results[i].store, ok: false, detail: "publishing failed: \(error)") }
            return AllocatedVolume(vid: vid, ok: false, stores: results)
        }
        return AllocatedVolume(vid: vid, ok: true, stores: results)
    }

    /// One past the highest vid coordination knows of (published or registered by a store).
    func nextVolumeID(_ snapshot: ClusterSnapshot) -> Int {
        let published = snapshot.volumes.keys.map { Int32($0) }.max() ?? 0
        let registered = snapshot.stores.values.flatMap { $0.volumes }.map { Int32($0) }.max() ?? 0
        return Int(max(published, registered)) + 1
    }
}
