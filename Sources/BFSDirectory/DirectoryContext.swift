import BFSCluster
import BFSCore
import BFSHTTP
import BFSMetadata
import Foundation

/// What the directory's handlers and reaper share: metadata, the cluster view, keys, cookies,
/// placement and metrics. Immutable; every member is thread-safe.
public final class DirectoryContext: Sendable {
    /// The settings in force.
    public let settings: DirectorySettings
    /// The metadata store (completion based, its own threads).
    public let metadata: any MetadataStore
    /// The current cluster snapshot (a `ClusterView`'s, or a fixed one in tests).
    public let snapshot: @Sendable () -> ClusterSnapshot
    /// Needle keys.
    public let keys: KeyGenerator
    /// Needle cookies.
    public let cookies = CookieSource()
    /// Metrics rendered on `/metrics`.
    public let metrics = DirectoryMetrics()
    /// Wall clock in Unix nanoseconds (tests move it to expire allocations).
    public let now: @Sendable () -> UnixNanos

    /// A context over these parts.
    public init(settings: DirectorySettings, metadata: any MetadataStore, snapshot: @escaping @Sendable () -> ClusterSnapshot,
                keys: KeyGenerator, now: @escaping @Sendable () -> UnixNanos = DirectoryContext.wallClockNanos) {
        self.settings = settings
        self.metadata = metadata
        self.snapshot = snapshot
        self.keys = keys
        self.now = now
    }

    /// The wall clock in Unix nanoseconds.
    public static let wallClockNanos: @Sendable () -> UnixNanos = {
        UnixNanos((Date().timeIntervalSince1970 * 1e9).rounded(.down))
    }

    /// A volume and its stores for a new needle, a fresh key and cookie, outside the groups in
    /// `excludingGroups` and the groups holding a volume in `excludingVolumes`.
    func newNeedle(excludingGroups: Set<Int> = [], excludingVolumes: Set<VolumeID> = []) throws(DirectoryError)
        -> (NeedleLocation, Placement)
    {
        var random = PooledSystemRandom()
        let snapshot = snapshot()
        var excluded = excludingGroups
        if !excludingVolumes.isEmpty {
            for (gid, group) in snapshot.groups {
                let holds = group.members.contains { member in
                    snapshot.stores[member]?.volumes.contains { excludingVolumes.contains($0) } ?? false
                }
                if holds { excluded.insert(gid) }
            }
        }
        let placement = try settings.placementPolicy.place(in: snapshot, excluding: excluded, using: &random)
        let key = try keys.next()
        return (NeedleLocation(key: key, vid: placement.vid, cookie: cookies.next()), placement)
    }

    /// The api addresses of the stores holding `vid` that may serve reads, or the bfs ret why
    /// there are none (30400 unknown volume, 30300 none readable).
    func readableStores(of vid: VolumeID) -> Result<[String], DirectoryError> {
        let snapshot = snapshot()
        guard snapshot.volumes[vid] != nil else { return .failure(.unknownVolume(vid)) }
        let stores = snapshot.stores(of: vid).filter(\.isReadable).map(\.node.api)
        return stores.isEmpty ? .failure(.noReadableStore(vid)) : .success(stores)
    }

    /// The api addresses of every store holding `vid` (30400 when a replica's store is unknown).
    func allStores(of vid: VolumeID) -> Result<[String], DirectoryError> {
        let snapshot = snapshot()
        guard let volume = snapshot.volumes[vid], !volume.replicas.isEmpty else { return .failure(.unknownVolume(vid)) }
        let stores = snapshot.stores(of: vid)
        guard stores.count == volume.replicas.count else { return .failure(.unknownVolume(vid)) }
        return .success(stores.map(\.node.api))
    }
}

extension DirectoryContext {
    /// Sends a JSON answer (from any thread) and counts it for `endpoint`.
    func answer(_ ex: HTTPServerExchange, _ endpoint: DirectoryMetrics.Endpoint, _ json: String, ok: Bool, since start: UInt64) {
        answer(ex, endpoint, bytes: Array(json.utf8), ok: ok, since: start)
    }

    /// Sends a JSON answer already in bytes (from any thread) and counts it for `endpoint`.
    func answer(_ ex: HTTPServerExchange, _ endpoint: DirectoryMetrics.Endpoint, bytes: [UInt8], ok: Bool, since start: UInt64) {
        DirectoryReplies.json(ex, bytes: bytes)
        metrics.record(endpoint, ok: ok, elapsedNanos: monotonicNanos() &- start)
    }
}

/// Request parameters the way bfs's `FormValue` reads them: an urlencoded body, then the query.
enum RequestFields {
    /// Bound on a urlencoded body: a handful of short fields.
    static let maxBodySize = 64 * 1024

    /// Calls `then` on the loop with the merged fields, or answers 400 itself.
    static func read(_ ex: HTTPServerExchange, then: @escaping (FormFields) -> Void) {
        guard let query = try? QueryString.parse(ex.head.query) else { return DirectoryReplies.badRequest(ex) }
        guard ex.head.hasBody else { return then(query) }
        ex.collectBody(limit: maxBodySize) { result in
            guard case .success(let body) = result else { return }
            let parsed = body.withUnsafeBytes { b in try? QueryString.parse(bytes: b) }
            guard let parsed else { return DirectoryReplies.badRequest(ex) }
            then(parsed.merging(query))
        }
    }
}
