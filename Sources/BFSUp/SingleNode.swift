import BFSCoordination
import BFSPitchfork
import BFSStore
import Logging

/// Everything of `bfs up` in one process on one embedded coordination tree. Today that is the
/// store and the pitchfork that marks it `Health`; the directory, proxy and ops join as they
/// are built.
public final class SingleNode: Sendable {
    public let settings: UpSettings
    /// The store of the node.
    public let store: StoreService
    /// The pitchfork probing the store and publishing its status.
    public let pitchfork: PitchforkService
    /// The coordination tree every component of the node shares.
    public let tree = EmbeddedTree()

    /// The cluster token the node's admin listener requires (kept in the data directory).
    public let clusterToken: String

    /// Reads the node's cluster token, generating it on the first start (a small file read or
    /// write in the data directory).
    public init(settings: UpSettings, logger: Logger = Logger(label: "bfs.up")) throws(ClusterTokenFile.Failure) {
        self.settings = settings
        clusterToken = try ClusterTokenFile.loadOrCreate(in: settings.dataDir)
        var storeSettings = settings.storeSettings
        storeSettings.clusterToken = clusterToken
        store = StoreService(settings: storeSettings, coordination: .embedded(tree), logger: logger)
        pitchfork = PitchforkService(settings: settings.pitchforkSettings, coordination: .embedded(tree), logger: logger)
    }

    /// The ports every component listens on.
    public struct Ports: Sendable {
        /// The store's api, admin and stat ports.
        public var store: StoreService.Ports
        /// The pitchfork's stat port.
        public var pitchfork: Int
    }

    /// Starts every component and provisions volumes at the first start. Blocks until ready.
    public func start() throws -> Ports {
        let storePorts = try store.start()
        try store.provisionIfEmpty(count: settings.volumes)
        let pitchforkPort = try pitchfork.start()
        return Ports(store: storePorts, pitchfork: pitchforkPort)
    }

    /// Drains and stops every component (the pitchfork first, so it never probes a store that
    /// is going away and marks it failed).
    public func stop() {
        pitchfork.stop()
        store.stop()
    }
}
