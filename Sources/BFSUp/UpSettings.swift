import BFSCore
import BFSDirectory
import BFSOps
import BFSPitchfork
import BFSProxy
import BFSStore

/// Settings of `bfs up`, the single-node all-in-one (`Conf/bfs-up.toml`); every key optional.
public struct UpSettings: Sendable, Equatable {
    /// Where volumes and lists live.
    public var dataDir = "./bfs-data"
    /// Host the listeners bind.
    public var host = "127.0.0.1"
    /// Store needle API port (`/get`, `/upload`, `/del`).
    public var apiPort = 6062
    /// Store admin API port.
    public var adminPort = 6063
    /// Store stat port (`/info`, `/metrics`).
    public var statPort = 6061
    /// Pitchfork stat port (`/stores`, `/metrics`, `/ping`).
    public var pitchforkPort = 6070
    /// Directory port (bfs `/get` `/upload` `/del`, two-phase uploads, buckets).
    public var directoryPort = 6065
    /// Proxy port: the public `PUT/GET/HEAD/DELETE /bfs/<bucket>/<filename>` API (bfs: 2232).
    public var proxyPort = 2232
    /// Ops port: the admin console and its JSON API (log in with the cluster token).
    public var opsPort = 6080
    /// Where the console's files are (`index.html`, `app.js`, ...). Empty: the `ops` folder of
    /// the working directory, else of the source tree the running `bfs` was built in.
    public var opsAssetsDir = ""
    /// Space reserved per volume.
    public var volumeSize: Int64 = 1 << 30
    /// Volumes created at the first start.
    public var volumes = 2
    /// Largest upload.
    public var needleMaxSize: Int64 = 10 << 20

    public init() {}

    /// Reads `path`, or the defaults when `path` is nil.
    public static func load(path: String?) throws(ConfigError) -> UpSettings {
        var s = UpSettings()
        guard let path else { return s }
        let root = try ConfigDocument.load(path: path)
        let up = try root.section("up")
        s.dataDir = try up.string("data_dir", default: s.dataDir)
        s.host = try up.string("host", default: s.host)
        s.apiPort = try up.int("api_port", default: s.apiPort, in: 0...65535)
        s.adminPort = try up.int("admin_port", default: s.adminPort, in: 0...65535)
        s.statPort = try up.int("stat_port", default: s.statPort, in: 0...65535)
        s.pitchforkPort = try up.int("pitchfork_port", default: s.pitchforkPort, in: 0...65535)
        s.directoryPort = try up.int("directory_port", default: s.directoryPort, in: 0...65535)
        s.proxyPort = try up.int("proxy_port", default: s.proxyPort, in: 0...65535)
        s.opsPort = try up.int("ops_port", default: s.opsPort, in: 0...65535)
        s.opsAssetsDir = try up.string("ops_assets_dir", default: s.opsAssetsDir)
        s.volumeSize = try up.byteSize("volume_size", default: s.volumeSize, in: (1 << 20)...(32 << 30))
        s.volumes = try up.int("volumes", default: s.volumes, in: 1...1000)
        s.needleMaxSize = try up.byteSize("needle_max_size", default: s.needleMaxSize, in: 1...(1 << 30))
        try ConfigDocument.finish(root)
        return s
    }

    /// The store settings of the single node: embedded coordination, small volumes.
    public var storeSettings: StoreSettings {
        var s = StoreSettings()
        s.id = "up-store-1"
        s.rack = "up"
        s.dataDir = dataDir
        s.volumeIndex = dataDir + "/volume.idx"
        s.freeVolumeIndex = dataDir + "/free_volume.idx"
        s.freeVolumeSize = volumeSize
        s.needleMaxSize = needleMaxSize
        s.apiListen = HostPort(host: host, port: apiPort)
        s.adminListen = HostPort(host: host, port: adminPort)
        s.statListen = HostPort(host: host, port: statPort)
        s.coordinationBackend = "embedded"
        return s
    }

    /// The pitchfork of the single node: probes the store every second, so a fresh node is
    /// writable (status `Health`) within about a second of starting instead of five.
    public var pitchforkSettings: PitchforkSettings {
        var s = PitchforkSettings()
        s.statListen = HostPort(host: host, port: pitchforkPort)
        s.storeCheckInterval = .seconds(1)
        return s
    }

    /// The directory of the single node: SQLite metadata in the data directory, the node's
    /// cluster token on its listener.
    public func directorySettings(clusterToken: String) -> DirectorySettings {
        var s = DirectorySettings()
        s.listen = HostPort(host: host, port: directoryPort)
        s.clusterToken = clusterToken
        s.metadataBackend = "sqlite"
        s.sqlitePath = dataDir + "/metadata.db"
        s.coordinationBackend = "embedded"
        return s
    }

    /// The proxy of the single node: the public API on `proxyPort`, talking to the node's
    /// directory (whose port is known once it listens) with the node's cluster token. Its upload
    /// limit is the store's, so a file the proxy accepts is one the store takes.
    public func proxySettings(directoryPort: Int, clusterToken: String) -> ProxySettings {
        var s = ProxySettings()
        s.listen = HostPort(host: host, port: proxyPort)
        s.directory = HostPort(host: host, port: directoryPort)
        s.clusterToken = clusterToken
        s.maxFileSize = needleMaxSize
        s.uploadBudget = max(s.uploadBudget, needleMaxSize)
        return s
    }

    /// The console of the single node: the node's embedded coordination (passed by the node),
    /// its directory, its cluster token as the login password (no password hash), the assets
    /// found by `assetsDir`.
    public func opsSettings(directoryPort: Int, clusterToken: String, assetsDir: String) -> OpsSettings {
        var s = OpsSettings()
        s.listen = HostPort(host: host, port: opsPort)
        s.directory = HostPort(host: host, port: directoryPort)
        s.clusterToken = clusterToken
        s.assetsDir = assetsDir
        s.coordinationBackend = "embedded"
        return s
    }
}
