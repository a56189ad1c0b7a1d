import BFSCoordination
import BFSCore

/// Everything `bfs directory` reads from `Conf/directory.toml`, with the defaults an operator
/// gets when a key is absent. `Conf/directory.toml` documents every key; `load` rejects unknown keys.
public struct DirectorySettings: Sendable, Equatable {
    /// Cluster token: mutating calls and bucket reads need `Authorization: Bearer <token>`.
    /// Empty: no check, allowed only while the listener is loopback (DESIGN.md §11).
    public var clusterToken: String = ""
    /// Seconds a pending allocation may wait for its commit before the reaper aborts it.
    public var allocationTimeout: Duration = .seconds(600)
    /// Pause between two reaper rounds (expired allocations, due tombstones).
    public var reaperInterval: Duration = .seconds(5)
    /// First wait before a failed tombstone is retried; doubles per attempt up to `tombstoneRetryMax`.
    public var tombstoneRetry: Duration = .seconds(1)
    /// Longest wait between two delete rounds of one tombstone.
    public var tombstoneRetryMax: Duration = .seconds(300)

    /// `sqlite` or `postgres`.
    public var metadataBackend: String = "sqlite"
    /// SQLite database file.
    public var sqlitePath: String = "/var/lib/bfs/directory/metadata.db"
    /// libpq connection string for PostgreSQL.
    public var postgresConninfo: String = ""
    /// Connections that write (group commit) and that read.
    public var metadataWriters: Int = 2, metadataReaders: Int = 2

    /// The internal listener (bfs API, two-phase upload, buckets, `/metrics`).
    public var listen = HostPort(host: "127.0.0.1", port: 6065)
    /// Event loops (threads) serving HTTP; 0 means one per core.
    public var workers: Int = 0
    /// How long an idle keep-alive connection is kept.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a client may take to send a complete request head.
    public var headerTimeout: Duration = .seconds(10)

    /// `zookeeper` or `embedded` (in-process, single node).
    public var coordinationBackend: String = "zookeeper"
    /// ZooKeeper servers.
    public var zookeeperAddrs: [String] = ["127.0.0.1:2181"]
    /// Root prefix for every znode ("" = bfs layout at /).
    public var coordinationRoot: String = ""
    /// ZooKeeper session timeout.
    public var sessionTimeout: Duration = .seconds(10)

    /// Free space a replica must exceed to take writes, in bytes.
    public var minimumFreeSpace: Int64 = 80 << 20
    /// The write latency at which a group's placement weight halves.
    public var latencyHalfWeight: Duration = .milliseconds(100)

    /// Defaults.
    public init() {}

    /// Reads a config file, applying defaults and rejecting unknown keys or bad values.
    public static func load(path: String) throws(ConfigError) -> DirectorySettings {
        try read(ConfigDocument.load(path: path))
    }

    /// Reads settings from an already parsed document.
    public static func read(_ root: ConfigTable) throws(ConfigError) -> DirectorySettings {
        var s = DirectorySettings()
        let directory = try root.section("directory")
        s.clusterToken = try directory.string("cluster_token", default: s.clusterToken)
        guard s.clusterToken.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badValue(key: "directory.cluster_token", reason: "must be printable ASCII without spaces")
        }
        s.allocationTimeout = try directory.duration("allocation_timeout", default: s.allocationTimeout)
        s.reaperInterval = try directory.duration("reaper_interval", default: s.reaperInterval)
        s.tombstoneRetry = try directory.duration("tombstone_retry", default: s.tombstoneRetry)
        s.tombstoneRetryMax = try directory.duration("tombstone_retry_max", default: s.tombstoneRetryMax)
        for (key, value) in [("allocation_timeout", s.allocationTimeout), ("reaper_interval", s.reaperInterval),
                             ("tombstone_retry", s.tombstoneRetry), ("tombstone_retry_max", s.tombstoneRetryMax)]
        where value <= .zero {
            throw .badValue(key: "directory.\(key)", reason: "must be positive")
        }

        let metadata = try root.section("metadata")
        s.metadataBackend = try metadata.string("backend", default: s.metadataBackend)
        guard ["sqlite", "postgres"].contains(s.metadataBackend) else {
            throw .badValue(key: "metadata.backend", reason: "'\(s.metadataBackend)' is neither \"sqlite\" nor \"postgres\"")
        }
        s.sqlitePath = try metadata.string("sqlite_path", default: s.sqlitePath)
        s.postgresConninfo = try metadata.string("postgres_conninfo", default: s.postgresConninfo)
        if s.metadataBackend == "postgres", s.postgresConninfo.isEmpty {
            throw .badValue(key: "metadata.postgres_conninfo", reason: "required with backend = \"postgres\"")
        }
        s.metadataWriters = try metadata.int("writers", default: s.metadataWriters, in: 1...64)
        s.metadataReaders = try metadata.int("readers", default: s.metadataReaders, in: 1...64)

        let http = try root.section("http")
        s.listen = try http.address("listen", default: s.listen)
        s.workers = try http.int("workers", default: s.workers, in: 0...256)
        s.idleTimeout = try http.duration("idle_timeout", default: s.idleTimeout)
        s.headerTimeout = try http.duration("header_timeout", default: s.headerTimeout)

        let coordination = try root.section("coordination")
        s.coordinationBackend = try coordination.coordinationBackend(default: s.coordinationBackend)
        s.zookeeperAddrs = try coordination.strings("zookeeper_addrs", default: s.zookeeperAddrs)
        s.coordinationRoot = try coordination.coordinationRoot(default: s.coordinationRoot)
        s.sessionTimeout = try coordination.duration("session_timeout", default: s.sessionTimeout)

        let placement = try root.section("placement")
        s.minimumFreeSpace = try placement.byteSize("minimum_free_space", default: s.minimumFreeSpace, in: 0...(32 << 30))
        s.latencyHalfWeight = try placement.duration("latency_half_weight", default: s.latencyHalfWeight)

        try ConfigDocument.finish(root)
        return s
    }

    /// Why these settings must not serve, or nil: a listener reachable from other hosts without
    /// a cluster token would let anyone allocate, delete and read bucket secrets.
    public var securityProblem: String? {
        guard clusterToken.isEmpty, !listen.isLoopback else { return nil }
        return "http.listen \(listen) is not loopback: set directory.cluster_token"
    }

    /// The placement policy these settings describe.
    public var placementPolicy: PlacementPolicy {
        PlacementPolicy(minimumFreeSpace: UInt32(clamping: minimumFreeSpace / 8), latencyHalfWeight: latencyHalfWeight)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (the unit of every metadata time column).
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
