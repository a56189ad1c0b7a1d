import BFSCoordination
import BFSStore
import Logging

/// Everything of `bfs up` in one process on one embedded coordination tree. Today that is the
/// store; the directory, pitchfork, proxy and ops join it as they are built.
public final class SingleNode: Sendable {
    public let settings: UpSettings
    /// The store of the node.
    public let store: StoreService
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
    }

    /// Starts every component and provisions volumes at the first start. Blocks until ready.
    public func start() throws -> StoreService.Ports {
        let ports = try store.start()
        try store.provisionIfEmpty(count: settings.volumes)
        return ports
    }

    /// Drains and stops every component.
    public func stop() {
        store.stop()
    }
}
