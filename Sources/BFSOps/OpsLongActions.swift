import BFSCluster
import BFSCoordination
import BFSCore
import BFSHTTP

/// Compaction of a volume on every replica and repair of one replica from a healthy peer: the
/// stores run them in the background (`/compact_volume`, `/bulk_volume from=`), ops starts a
/// job that follows each store's `/info` (`compact_progress`, `compactions`, `loads`) until it
/// reports the outcome.
extension OpsContext {
    /// `POST /api/compact` body.
    struct CompactRequest: Decodable {
        var vid: Int32
    }

    /// `POST /api/repair` body.
    struct RepairRequest: Decodable {
        /// The volume.
        var vid: Int32
        /// The store that lost its replica.
        var store: StoreID
        /// The store to copy from; a readable replica holding the volume when absent.
        var from: StoreID?
    }

    /// Polls in a row in which a store shows no trace of a job before the job is given up.
    static let pollsWithoutTrace = 20

    /// Starts compacting `vid` on every replica; answers the job id (the running one when ops
    /// already follows a compaction of `vid`).
    func compact(_ request: CompactRequest) async throws(OpsRequestError) -> String {
        let snapshot = try await freshSnapshot()
        let replicas = replicaStores(request.vid, snapshot)
        guard !replicas.isEmpty else { throw .notFound("volume \(request.vid) has no replicas") }
        let (id, isNew) = jobs.beginUnlessRunning(kind: "compact", vid: request.vid, stores: replicas.map(\.id))
        guard isNew else { return id }
        let vid = request.vid
        Task {
            await withTaskGroup(of: Void.self) { group in
                for store in replicas {
                    group.addTask { await self.compact(vid: vid, on: store, job: id) }
                }
            }
            self.logger.info("compaction job finished", metadata: ["job": "\(id)", "state": "\(self.jobs.job(id)?.state ?? "")"])
        }
        return id
    }

    private func compact(vid: Int32, on store: ClusterStore, job: String) async {
        var part = OpsJobs.Part(store: store.id, state: "starting", done: 0, total: 0, progress: 0, error: nil)
        func fail(_ why: String) { part.state = "failed"; part.error = why; jobs.update(job, part) }
        switch await calls.postForm(store.node.admin, "/compact_volume", ["vid": "\(vid)"]) {
        case .success(let json):
            let ret = (json["ret"] as? Int) ?? -1
            // 8003: a compaction of this volume is already running there; follow it.
            guard ret == 1 || ret == 8003 else { return fail("ret \(ret)") }
        case .failure(let e):
            return fail("\(e)")
        }
        part.state = "running"
        jobs.update(job, part)
        var lastAnswer = ContinuousClock.now
        var missing = 0
        while true {
            let info: StoreInfo
            switch await pollInfo(store, lastAnswer: &lastAnswer) {
            case .success(let i): info = i
            case .failure(let e): return fail("\(e)")
            }
            let outcome = info.compactions?.first { $0.id == vid }
            if let volume = info.volume(vid), let p = volume.compactProgress, p.total > 0 {
                part.done = p.done
                part.total = p.total
                part.progress = min(1, Double(p.done) / Double(p.total))
            }
            // A store that restarted forgets its jobs: after some polls without a trace, give up.
            missing = outcome == nil && !(info.volume(vid)?.compact ?? false) ? missing + 1 : 0
            if missing > Self.pollsWithoutTrace { return fail("the store no longer reports this compaction") }
            switch outcome?.state {
            case "done"?:
                part.state = "done"
                part.progress = 1
                part.done = max(part.done, part.total)
                jobs.update(job, part)
                return
            case "failed"?:
                return fail(outcome?.error ?? "failed")
            default:
                jobs.update(job, part)
            }
        }
    }

    /// Starts pulling `vid` onto `store` from a healthy peer; answers the job id.
    func repair(_ request: RepairRequest) async throws(OpsRequestError) -> String {
        let snapshot = try await freshSnapshot()
        guard let target = snapshot.stores[request.store] else { throw .notFound("store \(request.store) is not registered") }
        // Only a store meant to hold the volume is rebuilt: a copy elsewhere would be published
        // as a replica that the group's writes never reach.
        let holders = replicaStores(request.vid, snapshot)
        guard !holders.isEmpty else { throw .notFound("volume \(request.vid) has no replicas") }
        let owners = Set(holders.map(\.id)).union(holders.compactMap { group(of: $0.id, in: snapshot)?.members }.flatMap { $0 })
        guard owners.contains(target.id) else {
            throw OpsRequestError(status: 409, description: "\(target.id) is neither a replica of volume \(request.vid) "
                + "nor in its group (\(owners.sorted().joined(separator: ", ")))")
        }
        let candidates: [ClusterStore]
        if let from = request.from {
            guard let peer = snapshot.stores[from] else { throw .notFound("store \(from) is not registered") }
            guard from != request.store else { throw .bad("from must be another store") }
            candidates = [peer]
        } else {
            candidates = holders.filter { $0.id != request.store && $0.isReadable }
        }
        // The peer must serve the volume now, not only be listed as a replica.
        let infos = await infos(of: candidates.map(\.id), in: snapshot)
        guard let peer = candidates.first(where: { (try? infos[$0.id]?.get())?.volume(request.vid) != nil }) else {
            throw OpsRequestError(status: 409, description: "no readable store serves volume \(request.vid) to copy from")
        }
        let fields: FormFields = ["vid": "\(request.vid)", "from": peer.node.admin]
        switch await calls.postForm(target.node.admin, "/bulk_volume", fields) {
        case .success(let json):
            let ret = (json["ret"] as? Int) ?? -1
            guard ret == 1 else {
                let why = ret == 8000 ? "the store already serves volume \(request.vid) or is loading it"
                    : (json["error"] as? String) ?? "ret \(ret)"
                throw OpsRequestError(status: 409, description: "\(target.id): \(why)")
            }
        case .failure(let e):
            throw OpsRequestError(status: 502, description: "\(target.id): \(e)")
        }
        let id = jobs.begin(kind: "repair", vid: request.vid, stores: [target.id])
        let vid = request.vid
        Task { await self.followRepair(vid: vid, on: target, job: id) }
        return id
    }

    private func followRepair(vid: Int32, on store: ClusterStore, job: String) async {
        var part = OpsJobs.Part(store: store.id, state: "running", done: 0, total: 0, progress: 0, error: nil)
        jobs.update(job, part)
        var lastAnswer = ContinuousClock.now
        var missing = 0
        while true {
            let load: StoreInfo.Load
            switch await pollInfo(store, lastAnswer: &lastAnswer) {
            case .success(let info):
                guard let l = info.loads?.first(where: { $0.id == vid }) else {
                    missing += 1
                    if missing > Self.pollsWithoutTrace {
                        part.state = "failed"
                        part.error = "the store no longer reports this pull"
                        jobs.update(job, part)
                        return
                    }
                    continue
                }
                missing = 0
                load = l
            case .failure(let e):
                part.state = "failed"
                part.error = "\(e)"
                jobs.update(job, part)
                return
            }
            part.done = load.done
            part.total = load.total
            part.progress = load.total > 0 ? min(1, Double(load.done) / Double(load.total)) : 0
            switch load.state {
            case "done":
                do {
                    try await coordination.ensurePath(ZnodeLayout.volumeReplica(vid: vid, store: store.id))
                    part.state = "done"
                    part.progress = 1
                } catch {
                    part.state = "failed"
                    part.error = "copied, but publishing the replica failed: \(error)"
                }
                jobs.update(job, part)
                return
            case "failed":
                part.state = "failed"
                part.error = load.error ?? "failed"
                jobs.update(job, part)
                return
            default:
                jobs.update(job, part)
            }
        }
    }

    /// The store's next `/info` for a job, after one poll interval; a failure once ops is
    /// stopping or the store has not answered for `callTimeout` (a job never polls forever).
    private func pollInfo(_ store: ClusterStore, lastAnswer: inout ContinuousClock.Instant) async -> Result<StoreInfo, OpsCalls.Failure> {
        while true {
            try? await Task.sleep(for: settings.jobPollInterval)
            if isStopping { return .failure(OpsCalls.Failure(description: "ops stopped while following the job")) }
            switch await calls.info(stat: store.node.stat) {
            case .success(let info):
                lastAnswer = .now
                return .success(info)
            case .failure(let e) where ContinuousClock.now - lastAnswer > settings.callTimeout:
                return .failure(OpsCalls.Failure(description: "no answer for \(settings.callTimeout): \(e)"))
            case .failure:
                continue
            }
        }
    }

    /// The stores holding `vid`: its published replicas, else the members of a group whose
    /// stores registered it.
    func replicaStores(_ vid: Int32, _ snapshot: ClusterSnapshot) -> [ClusterStore] {
        let published = snapshot.stores(of: vid)
        if !published.isEmpty { return published }
        return snapshot.stores.values.filter { $0.volumes.contains(vid) }.sorted { $0.id < $1.id }
    }
}
