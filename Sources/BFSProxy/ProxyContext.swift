import BFSCore
import BFSHTTP
import BFSLoop
import BFSMetadata
import Foundation
import Synchronization

/// What the proxy's handlers share: settings, caches, the upload budget, metrics, the drain
/// state and each loop's backend clients. Immutable after start; every member is thread-safe
/// or belongs to one loop.
public final class ProxyContext: Sendable {
    /// The settings in force.
    public let settings: ProxySettings
    /// Metrics rendered on `/metrics`.
    public let metrics = ProxyMetrics()
    /// Directory lookups (DESIGN §7).
    /// Directory lookups: a file's record, or nil for a name known to be missing (kept
    /// `missingFileTTL`).
    let files: MetadataCache<FileRecord?>
    /// `settings.missingFileTTL` in nanoseconds; 0 keeps no missing entries.
    let missingFileTTL: UInt64
    /// Bucket records.
    let buckets: BucketCache
    /// In-flight upload bytes.
    let budget: UploadBudget
    /// Set once shutdown began: `/ping` answers 503.
    let shuttingDown = Atomic<Bool>(false)
    /// Wall clock, Unix seconds (tokens, `Expires`).
    let now: @Sendable () -> Int64
    private let clients: [ObjectIdentifier: LoopClients]
    /// The cluster token header every directory call carries.
    private let directoryAuthorization: [FormFields.Pair]
    private let drainWatch: DrainFileWatch?
    /// SplitMix64 state of `replicaStart` (seeded once; a draw is one atomic add, no system call).
    private let spread = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    /// One loop's clients: the directory's and the stores' (different timeouts).
    struct LoopClients: @unchecked Sendable {
        let directory: HTTPClient
        let store: HTTPClient
    }

    /// A context whose backend clients live on `loops`; `drainProbe` tells whether the drain
    /// file exists (called by `DrainFileWatch`, never on a loop). Not on a loop thread.
    init(settings: ProxySettings, loops: [EventLoop], now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
         drainProbe: @escaping @Sendable (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) {
        self.settings = settings
        self.now = now
        directoryAuthorization = DirectoryClient.authorization(token: settings.clusterToken)
        drainWatch = settings.drainFile.isEmpty ? nil : DrainFileWatch(path: settings.drainFile, probe: drainProbe)
        files = MetadataCache(capacity: settings.metadataCacheCapacity, timeToLive: Self.nanoseconds(settings.metadataCacheTTL))
        missingFileTTL = Self.nanoseconds(settings.missingFileTTL)
        buckets = BucketCache(timeToLive: settings.bucketTTL)
        budget = UploadBudget(limit: Int(clamping: settings.uploadBudget))
        let connect = UInt64(settings.connectTimeout.wholeMilliseconds)
        var clients: [ObjectIdentifier: LoopClients] = [:]
        for loop in loops {
            let directory = HTTPClient(loop: loop, configuration: .init(connectTimeout: connect,
                                                                        requestTimeout: UInt64(settings.directoryTimeout.wholeMilliseconds),
                                                                        maxIdlePerHost: Self.idlePerBackend))
            var storeConfiguration = HTTPClient.Configuration(connectTimeout: connect,
                                                              requestTimeout: UInt64(settings.storeTimeout.wholeMilliseconds),
                                                              maxIdlePerHost: Self.idlePerBackend)
            storeConfiguration.maxPipelineDepth = Self.storePipelineDepth
            let store = HTTPClient(loop: loop, configuration: storeConfiguration)
            clients[ObjectIdentifier(loop)] = LoopClients(directory: directory, store: store)
        }
        self.clients = clients
    }

    /// Idle keep-alive connections each loop keeps per backend: above the requests a loop has in
    /// flight to one backend under load, so connections are reused rather than reopened.
    static let idlePerBackend = 128
    /// Store reads of small files made in the same loop iteration share a connection and a
    /// write, up to this many (`BodyRelay.pipelinedMaxLength`); measured in Bench/proxy.
    static let storePipelineDepth = 16

    /// A pseudo-random replica index below `count` (> 0) where reads start: spreads reads over
    /// the replicas. Not for secrets.
    func replicaStart(_ count: Int) -> Int {
        var z = spread.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(count))
    }

    /// The directory client of `loop` (the exchange's loop).
    func directory(on loop: EventLoop) -> DirectoryClient {
        DirectoryClient(client: clients[ObjectIdentifier(loop)]!.directory, address: settings.directory,
                        authorization: directoryAuthorization, metrics: metrics)
    }

    /// The store client of `loop`.
    func stores(on loop: EventLoop) -> StoreClient {
        StoreClient(client: clients[ObjectIdentifier(loop)]!.store, metrics: metrics)
    }

    /// The raw store HTTP client of `loop`, for relayed reads.
    func storeHTTPClient(on loop: EventLoop) -> HTTPClient { clients[ObjectIdentifier(loop)]!.store }

    /// Closes every backend client, each on its loop.
    func closeClients() {
        for (_, pair) in clients {
            _ = try? pair.directory.loop.submitAndWait {
                pair.directory.close()
                pair.store.close()
            }
        }
    }

    /// Stops the drain file's watch thread, if any.
    func stopDrainWatch() { drainWatch?.stop() }

    /// Whether `/ping` should take the proxy out of a load balancer.
    var isDraining: Bool {
        if shuttingDown.load(ordering: .relaxed) { return true }
        return drainWatch?.isPresent ?? false
    }

    /// The bucket named `name` (cached), nil when it does not exist.
    func bucket(_ name: String, on loop: EventLoop, _ done: @escaping (Result<Bucket?, ProxyFailure>) -> Void) {
        if let cached = buckets.value(name) {
            metrics.bucketCacheHits.increment()
            return done(.success(cached))
        }
        metrics.bucketCacheMisses.increment()
        directory(on: loop).bucket(named: name) { [buckets] result in
            if case .success(let bucket) = result { buckets.insert(bucket, for: name) }
            done(result)
        }
    }

    /// Nanoseconds in a duration (cache TTLs).
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
