import Glibc
import BFSCoordination
import BFSCore

/// Everything `bfs store` reads from `Conf/store.toml`, with the defaults an operator gets when a
/// key is absent. `Conf/store.toml` documents every key; `load` rejects unknown keys.
public struct StoreSettings: Sendable, Equatable {
    /// Cluster-wide unique store id (`ServerId` in bfs).
    public var id: String = "store-1"
    /// Rack (failure domain) the store registers under.
    public var rack: String = "rack-1"
    /// Directory for the volume list files and, by default, new volumes.
    public var dataDir: String = "/var/lib/bfs/store"
    /// More directories admin parameters and coordination records may name volume files in
    /// (DESIGN.md §11), besides `dataDir` (see `volumeDirectories`).
    public var dataDirs: [String] = []
    /// Active volume list (bfs `VolumeIndex`); default `<dataDir>/volume.idx`.
    public var volumeIndex: String = ""
    /// Free volume list (bfs `FreeVolumeIndex`); default `<dataDir>/free_volume.idx`.
    public var freeVolumeIndex: String = ""
    /// Largest file an upload may carry (bfs `NeedleMaxSize`).
    public var needleMaxSize: Int64 = 10 << 20
    /// Most files one `/uploads` request may carry (bfs `BatchMaxNum`, which bfs never enforced).
    public var batchMaxFiles: Int = 9
    /// Acknowledge writes only after fdatasync (false exists only to compare with bfs).
    public var durableWrites: Bool = true
    /// Size reserved for each new free volume (bfs always reserves 32 GiB).
    public var freeVolumeSize: Int64 = 32 << 30
    /// Cluster token: mutating admin calls (and the volume export a pulling peer reads) need
    /// `Authorization: Bearer <token>`, and pulls send it to peers. Empty: no check, allowed only
    /// while the admin listener is loopback (DESIGN.md §11).
    public var clusterToken: String = ""

    /// Public needle API listener (`/get`, `/upload`, `/uploads`, `/del`).
    public var apiListen = HostPort(host: "127.0.0.1", port: 6062)
    /// Admin listener (`/probe`, `/add_free_volume`, `/add_volume`, `/bulk_volume`, `/compact_volume`).
    public var adminListen = HostPort(host: "127.0.0.1", port: 6063)
    /// Stat listener (`/info`, `/metrics`).
    public var statListen = HostPort(host: "127.0.0.1", port: 6061)
    /// Addresses published in coordination when the listen address is a wildcard; default: listen address.
    public var advertiseHost: String = ""

    /// Event loops (threads) serving HTTP; 0 means one per core.
    public var workers: Int = 0
    /// How long an idle keep-alive connection is kept.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a client may take to send a complete request head.
    public var headerTimeout: Duration = .seconds(10)
    /// Longest pause allowed between two pieces of a request body.
    public var bodyTimeout: Duration = .seconds(30)
    /// Largest request head accepted (431 above).
    public var maxHeaderSize: Int = 16 << 10

    /// Token-bucket rate limits per second; 0 turns a limit off (the default: bfs's 150/s is a trap).
    public var readRate: Double = 0, readBurst: Int = 0
    public var writeRate: Double = 0, writeBurst: Int = 0
    public var deleteRate: Double = 0, deleteBurst: Int = 0

    /// `zookeeper` or `embedded` (in-process, single node).
    public var coordinationBackend: String = "zookeeper"
    /// ZooKeeper servers.
    public var zookeeperAddrs: [String] = ["127.0.0.1:2181"]
    /// Root prefix for every znode, so several clusters can share one ZooKeeper ("" = bfs layout at /).
    public var coordinationRoot: String = ""
    /// ZooKeeper session timeout.
    public var sessionTimeout: Duration = .seconds(10)

    /// Background CRC scrubbing of volumes, in bytes per second (0 = off).
    public var scrubRate: Int64 = 8 << 20
    /// Pause between two scrub passes over all volumes.
    public var scrubInterval: Duration = .seconds(24 * 3600)

    public init() {}

    /// The directories volume files are confined to: `dataDir` (pulls and new volumes land
    /// there) and `dataDirs`.
    public var volumeDirectories: [String] { dataDirs.contains(dataDir) ? dataDirs : [dataDir] + dataDirs }

    /// These settings with `dataDir` and the list paths made absolute against the working
    /// directory: admin paths are confined to absolute, symlink-free directories, so a relative
    /// `data_dir` (`bfs up`'s default `./bfs-data`) must be resolved once, at startup.
    public func withAbsolutePaths() -> StoreSettings {
        var s = self
        s.dataDir = Self.absolute(dataDir)
        s.volumeIndex = Self.absolute(volumeIndex)
        s.freeVolumeIndex = Self.absolute(freeVolumeIndex)
        return s
    }

    private static func absolute(_ path: String) -> String {
        guard !path.isEmpty, !path.hasPrefix("/") else { return path }
        guard let raw = getcwd(nil, 0) else { return path }
        defer { free(raw) }
        let cwd = String(cString: raw)
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return cwd == "/" ? "/" + relative : cwd + "/" + relative
    }

    /// Reads a config file, applying defaults and rejecting unknown keys or bad values.
    public static func load(path: String) throws(ConfigError) -> StoreSettings {
        try read(ConfigDocument.load(path: path))
    }

    /// Reads settings from an already parsed document.
    public static func read(_ root: ConfigTable) throws(ConfigError) -> StoreSettings {
        var s = StoreSettings()
        let store = try root.section("store")
        s.id = try store.string("id", default: s.id)
        guard !s.id.isEmpty, !s.id.contains("/") else { throw .badValue(key: "store.id", reason: "must be non-empty without '/'") }
        s.rack = try store.string("rack", default: s.rack)
        guard !s.rack.isEmpty, !s.rack.contains("/") else { throw .badValue(key: "store.rack", reason: "must be non-empty without '/'") }
        s.dataDir = try store.string("data_dir", default: s.dataDir)
        s.dataDirs = try store.strings("data_dirs", default: s.dataDirs)
        guard s.dataDirs.allSatisfy({ $0.hasPrefix("/") }) else {
            throw .badValue(key: "store.data_dirs", reason: "must list absolute directories")
        }
        s.volumeIndex = try store.string("volume_index", default: s.dataDir + "/volume.idx")
        s.freeVolumeIndex = try store.string("free_volume_index", default: s.dataDir + "/free_volume.idx")
        s.needleMaxSize = try store.byteSize("needle_max_size", default: s.needleMaxSize, in: 1...(1 << 30))
        s.batchMaxFiles = try store.int("batch_max_files", default: s.batchMaxFiles, in: 1...1024)
        s.durableWrites = try store.bool("durable_writes", default: s.durableWrites)
        s.freeVolumeSize = try store.byteSize("free_volume_size", default: s.freeVolumeSize, in: 4096...(32 << 30))
        s.clusterToken = try store.string("cluster_token", default: s.clusterToken)
        guard s.clusterToken.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badValue(key: "store.cluster_token", reason: "must be printable ASCII without spaces")
        }

        let http = try root.section("http")
        s.apiListen = try http.address("api_listen", default: s.apiListen)
        s.adminListen = try http.address("admin_listen", default: s.adminListen)
        s.statListen = try http.address("stat_listen", default: s.statListen)
        s.advertiseHost = try http.string("advertise_host", default: s.advertiseHost)
        s.workers = try http.int("workers", default: s.workers, in: 0...256)
        s.idleTimeout = try http.duration("idle_timeout", default: s.idleTimeout)
        s.headerTimeout = try http.duration("header_timeout", default: s.headerTimeout)
        s.bodyTimeout = try http.duration("body_timeout", default: s.bodyTimeout)
        s.maxHeaderSize = Int(try http.byteSize("max_header_size", default: Int64(s.maxHeaderSize), in: 1024...(1 << 20)))

        let limits = try root.section("limits")
        s.readRate = try limits.double("read_rate", default: 0, in: 0...1e9)
        s.readBurst = try limits.int("read_burst", default: 0, in: 0...1_000_000_000)
        s.writeRate = try limits.double("write_rate", default: 0, in: 0...1e9)
        s.writeBurst = try limits.int("write_burst", default: 0, in: 0...1_000_000_000)
        s.deleteRate = try limits.double("delete_rate", default: 0, in: 0...1e9)
        s.deleteBurst = try limits.int("delete_burst", default: 0, in: 0...1_000_000_000)

        let coordination = try root.section("coordination")
        s.coordinationBackend = try coordination.coordinationBackend(default: s.coordinationBackend)
        s.zookeeperAddrs = try coordination.strings("zookeeper_addrs", default: s.zookeeperAddrs)
        s.coordinationRoot = try coordination.coordinationRoot(default: s.coordinationRoot)
        s.sessionTimeout = try coordination.duration("session_timeout", default: s.sessionTimeout)

        let scrub = try root.section("scrub")
        s.scrubRate = try scrub.byteSize("rate", default: s.scrubRate)
        s.scrubInterval = try scrub.duration("interval", default: s.scrubInterval)

        try ConfigDocument.finish(root)
        return s
    }

    /// Why these settings must not serve, or nil: an admin listener reachable from other hosts
    /// without a cluster token would let anyone add, load or export volumes.
    public var securityProblem: String? {
        guard clusterToken.isEmpty, !adminListen.isLoopback else { return nil }
        return "http.admin_listen \(adminListen) is not loopback: set store.cluster_token"
    }
}
