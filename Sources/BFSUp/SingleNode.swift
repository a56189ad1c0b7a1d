import BFSCoordination
import BFSDirectory
import BFSMetadata
import BFSOps
import BFSPitchfork
import BFSProxy
import BFSStore
import Dispatch
import Foundation
import Glibc
import Logging
import Synchronization

/// Everything of `bfs up` in one process on one embedded coordination tree: the store, the
/// pitchfork that marks it `Health`, the directory (SQLite metadata) that places files on it,
/// the proxy serving the public API in front of them, and the ops console.
public final class SingleNode: Sendable {
    public let settings: UpSettings
    /// The store of the node.
    public let store: StoreService
    /// The pitchfork probing the store and publishing its status.
    public let pitchfork: PitchforkService
    /// The directory: metadata, placement, keys.
    public let directory: DirectoryService
    /// The coordination tree every component of the node shares.
    public let tree = EmbeddedTree()
    /// The proxy, made once the directory listens (it needs the directory's port).
    private let proxyService = Mutex<ProxyService?>(nil)
    /// The proxy once started.
    public var proxy: ProxyService? { proxyService.withLock { $0 } }
    /// The ops console, made once the directory listens.
    private let opsService = Mutex<OpsService?>(nil)
    /// The console once started.
    public var ops: OpsService? { opsService.withLock { $0 } }

    private let logger: Logger

    /// The cluster token the node's internal listeners require (kept in the data directory).
    public let clusterToken: String

    /// The replica group of the single node (bfs group ids are small integers).
    static let groupID = 1
    /// The bucket the first start creates.
    public static let defaultBucket = "default"

    /// Reads the node's cluster token, generating it on the first start (a small file read or
    /// write in the data directory).
    public init(settings: UpSettings, logger: Logger = Logger(label: "bfs.up")) throws(ClusterTokenFile.Failure) {
        self.settings = settings
        self.logger = logger
        clusterToken = try ClusterTokenFile.loadOrCreate(in: settings.dataDir)
        var storeSettings = settings.storeSettings
        storeSettings.clusterToken = clusterToken
        store = StoreService(settings: storeSettings, coordination: .embedded(tree), logger: logger)
        pitchfork = PitchforkService(settings: settings.pitchforkSettings, coordination: .embedded(tree), logger: logger)
        directory = DirectoryService(settings: settings.directorySettings(clusterToken: clusterToken),
                                     coordination: .embedded(tree), logger: logger)
    }

    /// The ports every component listens on, and the default bucket.
    public struct Started: Sendable {
        /// The store's api, admin and stat ports.
        public var store: StoreService.Ports
        /// The pitchfork's stat port.
        public var pitchfork: Int
        /// The directory's port.
        public var directory: Int
        /// The proxy's port (the public API).
        public var proxy: Int
        /// The console's port.
        public var ops: Int
        /// The bucket `default` (its key id and secret sign writes).
        public var bucket: Bucket
    }

    /// Starts every component; the first start provisions volumes, makes the store a group of
    /// its own and creates the bucket `default`. Blocks until ready (never on a loop thread).
    public func start() throws -> Started {
        let storePorts = try store.start()
        try store.provisionIfEmpty(count: settings.volumes)
        try joinGroup()
        let pitchforkPort = try pitchfork.start()
        let directoryPort = try directory.start()
        try waitUntilWritable(seconds: 30)
        let bucket = try defaultBucket()
        let proxy = ProxyService(settings: settings.proxySettings(directoryPort: directoryPort, clusterToken: clusterToken),
                                 logger: logger)
        proxyService.withLock { $0 = proxy }
        let proxyPort = try proxy.start()
        let opsPort = try startOps(directoryPort: directoryPort)
        return Started(store: storePorts, pitchfork: pitchforkPort, directory: directoryPort, proxy: proxyPort, ops: opsPort,
                       bucket: bucket)
    }

    /// Drains and stops every component: the proxy first (no new public requests), then the
    /// directory and the pitchfork, so neither places on nor probes a store that is going away.
    public func stop() {
        ops?.stop()
        proxy?.stop()
        directory.stop()
        pitchfork.stop()
        store.stop()
    }

    /// Starts the console on the node's coordination tree, with the cluster token as its login.
    private func startOps(directoryPort: Int) throws -> Int {
        guard let assets = OpsAssetsLocator.locate(configured: settings.opsAssetsDir, executable: runningExecutable) else {
            throw NodeError("the console's files (ops/index.html) are neither in ./ops nor in the source tree of this bfs; "
                + "set ops_assets_dir in the bfs up config")
        }
        let ops = OpsService(settings: settings.opsSettings(directoryPort: directoryPort, clusterToken: clusterToken, assetsDir: assets),
                             coordination: .embedded(tree), logger: logger)
        opsService.withLock { $0 = ops }
        return try ops.start()
    }

    /// Waits until the directory can place a file: the pitchfork has marked the store `Health`
    /// and published its volumes' free space, and the directory's view has both. "Ready" then
    /// means an upload succeeds at once, on the first start and on every restart (the embedded
    /// tree starts empty each time).
    private func waitUntilWritable(seconds: Double) throws {
        guard let context = directory.context else { throw NodeError("the directory did not start") }
        let deadline = DispatchTime.now() + seconds
        var random = SystemRandomNumberGenerator()
        while (try? context.settings.placementPolicy.place(in: context.snapshot(), using: &random)) == nil {
            guard DispatchTime.now() < deadline else {
                throw NodeError("the store did not become writable within \(Int(seconds)) s (see the pitchfork's /stores)")
            }
            usleep(20_000)
        }
    }

    /// Makes `/group/1/<store id>` exist: what ops does on a cluster, so the directory has a
    /// writable group once the pitchfork marks the store `Health`.
    private func joinGroup() throws {
        let queue = DispatchQueue(label: "bfs.up.coordination")
        let client = try CoordinationChoice.embedded(tree).connect(root: "", sessionTimeout: .seconds(10)) { queue.async(execute: $0) }
        defer { client.close(completion: nil) }
        let member = ZnodeLayout.groupMember(gid: Self.groupID, store: settings.storeSettings.id)
        try waitForCoordination("joining group \(Self.groupID)", seconds: 30) { try await client.ensurePath(member) }
    }

    /// The bucket `default`, created on the first start (public read; writes need a token
    /// signed with its secret).
    private func defaultBucket() throws -> Bucket {
        guard let metadata = directory.context?.metadata else { throw NodeError("the directory did not start") }
        let outcome = Mutex<Result<Bucket, MetadataError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        metadata.bucket(named: Self.defaultBucket) { found in
            guard case .failure(.bucketNotFound) = found else {
                outcome.withLock { $0 = found }
                done.signal()
                return
            }
            metadata.createBucket(NewBucket(name: Self.defaultBucket, flags: .publicRead)) { created in
                outcome.withLock { $0 = created }
                done.signal()
            }
        }
        guard done.wait(timeout: .now() + 30) == .success, let result = outcome.withLock({ $0 }) else {
            throw NodeError("metadata did not answer within 30 s while creating the bucket \(Self.defaultBucket)")
        }
        do { return try result.get() } catch { throw NodeError("bucket \(Self.defaultBucket): \(error)") }
    }
}

/// The running binary's path (`/proc/self/exe`), whatever name it was started by.
private var runningExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// Why `bfs up` did not start (a message for the operator).
public struct NodeError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
