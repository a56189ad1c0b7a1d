import BFSCore

/// Everything `bfs proxy` reads from `Conf/proxy.toml`, with the defaults an operator gets when a
/// key is absent. `Conf/proxy.toml` documents every key; `load` rejects unknown keys and bad
/// values by name. Tests and `bfs up` build one in code.
public struct ProxySettings: Sendable, Equatable {
    /// The directory's listener (`host:port`).
    public var directory = HostPort(host: "127.0.0.1", port: 6065)
    /// Cluster token sent as `Authorization: Bearer <token>` on every directory call ("" for none).
    public var clusterToken: String = ""
    /// The path prefix of the public API, normalised to `/x/` (bfs: `/bfs/`); "/" for none.
    public var prefix: String = "/bfs/"
    /// Scheme and host of `Location` for buckets without their own domain, e.g.
    /// `https://img.example.com`; "" means `http://` plus the request's `Host`.
    public var domain: String = ""
    /// The largest file a PUT may store, in bytes (bfs: 20 MiB, above its store's 10 MiB limit;
    /// ours matches the store's default `needle_max_size`).
    public var maxFileSize: Int64 = 10 << 20
    /// Upload bytes the process holds at once over all PUTs; a PUT that would exceed it is
    /// answered 503 with `Retry-After`, so a burst of uploads cannot exhaust memory.
    public var uploadBudget: Int64 = 256 << 20
    /// How far a bucket token's time may lie from now (bfs: 15 minutes).
    public var tokenWindow: Duration = .seconds(900)

    /// The public listener.
    public var listen = HostPort(host: "127.0.0.1", port: 2232)
    /// Event loops (threads) serving HTTP; 0 means one per core.
    public var workers: Int = 0
    /// How long an idle keep-alive connection is kept.
    public var idleTimeout: Duration = .seconds(60)
    /// How long a client may take to send a complete request head.
    public var headerTimeout: Duration = .seconds(10)
    /// The longest pause between two pieces of an upload body.
    public var bodyTimeout: Duration = .seconds(30)
    /// The longest a response may wait on a client that does not read.
    public var sendTimeout: Duration = .seconds(60)
    /// On stop, how long in-flight requests may take before their connections are closed.
    public var drainTimeout: Duration = .seconds(10)

    /// Time to connect to the directory or a store.
    public var connectTimeout: Duration = .seconds(1)
    /// Time for one directory call, request to last response byte.
    public var directoryTimeout: Duration = .seconds(5)
    /// Time for one store call, request to last response byte: a replica write, or the relay
    /// of a body (a slow downloader holds a read this long at most before it fails over).
    public var storeTimeout: Duration = .seconds(60)
    /// Time for a store to start answering a read (its response head); past it the read moves
    /// to the next replica, so a hung replica costs this, not `storeTimeout`. Also how long an
    /// upload waits for replicas still silent once one replica answered (`ReplicaWriter`).
    public var storeHeadTimeout: Duration = .seconds(3)

    /// How long a bucket (flags, key, domain, cache policy) is cached; short, so a rotated key
    /// or a changed flag takes effect within seconds.
    public var bucketTTL: Duration = .seconds(5)
    /// Most directory lookups kept in the metadata cache.
    public var metadataCacheCapacity: Int = 100_000
    /// How long a cached lookup is trusted (an overwrite through another proxy is unseen at most
    /// this long, less when a store's 404 forces a refetch).
    public var metadataCacheTTL: Duration = .seconds(10)
    /// How long "no such file" is remembered (0: never), so requests for missing names do not
    /// each reach the directory; a file created through another proxy is unseen that long here.
    public var missingFileTTL: Duration = .seconds(1)

    /// While this file exists `/ping` answers 503 (bfs: `/tmp/proxy.ping`), checked every 250 ms off
    /// the loops (`DrainFileWatch`); "" for none.
    public var drainFile: String = ""
    /// After SIGTERM, how long `/ping` answers 503 while requests are still served, so a load
    /// balancer takes the proxy out before its listener closes.
    public var shutdownGrace: Duration = .zero

    /// Defaults.
    public init() {}

    /// Reads a config file, applying defaults and rejecting unknown keys or bad values.
    public static func load(path: String) throws(ConfigError) -> ProxySettings {
        try read(ConfigDocument.load(path: path))
    }

    /// Reads settings from an already parsed document.
    public static func read(_ root: ConfigTable) throws(ConfigError) -> ProxySettings {
        var s = ProxySettings()
        let proxy = try root.section("proxy")
        s.directory = try proxy.address("directory", default: s.directory)
        s.clusterToken = try proxy.string("cluster_token", default: s.clusterToken)
        guard s.clusterToken.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badValue(key: "proxy.cluster_token", reason: "must be printable ASCII without spaces")
        }
        let prefix = try proxy.string("prefix", default: s.prefix)
        guard let normalised = Self.normalisedPrefix(prefix) else {
            throw .badValue(key: "proxy.prefix", reason: "'\(prefix)' must be a path of letters, digits, '-', '_', '.' and '/'")
        }
        s.prefix = normalised
        s.domain = try proxy.string("domain", default: s.domain)
        guard s.domain.isEmpty || s.domain.hasPrefix("http://") || s.domain.hasPrefix("https://") else {
            throw .badValue(key: "proxy.domain", reason: "must start with http:// or https://")
        }
        s.maxFileSize = try proxy.byteSize("max_file_size", default: s.maxFileSize, in: 1...(1 << 30))
        s.uploadBudget = try proxy.byteSize("upload_budget", default: s.uploadBudget, in: 1...(1 << 40))
        guard s.uploadBudget >= s.maxFileSize else {
            throw .badValue(key: "proxy.upload_budget", reason: "must be at least max_file_size")
        }
        s.tokenWindow = try proxy.duration("token_window", default: s.tokenWindow)

        let http = try root.section("http")
        s.listen = try http.address("listen", default: s.listen)
        s.workers = try http.int("workers", default: s.workers, in: 0...256)
        s.idleTimeout = try http.duration("idle_timeout", default: s.idleTimeout)
        s.headerTimeout = try http.duration("header_timeout", default: s.headerTimeout)
        s.bodyTimeout = try http.duration("body_timeout", default: s.bodyTimeout)
        s.sendTimeout = try http.duration("send_timeout", default: s.sendTimeout)
        s.drainTimeout = try http.duration("drain_timeout", default: s.drainTimeout)

        let backend = try root.section("backend")
        s.connectTimeout = try backend.duration("connect_timeout", default: s.connectTimeout)
        s.directoryTimeout = try backend.duration("directory_timeout", default: s.directoryTimeout)
        s.storeTimeout = try backend.duration("store_timeout", default: s.storeTimeout)
        s.storeHeadTimeout = try backend.duration("store_head_timeout", default: s.storeHeadTimeout)

        let cache = try root.section("cache")
        s.bucketTTL = try cache.duration("bucket_ttl", default: s.bucketTTL)
        s.metadataCacheCapacity = try cache.int("metadata_capacity", default: s.metadataCacheCapacity, in: 1...100_000_000)
        s.metadataCacheTTL = try cache.duration("metadata_ttl", default: s.metadataCacheTTL)
        s.missingFileTTL = try cache.duration("missing_ttl", default: s.missingFileTTL)

        let ping = try root.section("ping")
        s.drainFile = try ping.string("drain_file", default: s.drainFile)
        s.shutdownGrace = try ping.duration("shutdown_grace", default: s.shutdownGrace)

        for (key, value) in [("http.idle_timeout", s.idleTimeout), ("http.header_timeout", s.headerTimeout),
                             ("http.body_timeout", s.bodyTimeout), ("http.send_timeout", s.sendTimeout),
                             ("backend.connect_timeout", s.connectTimeout), ("backend.directory_timeout", s.directoryTimeout),
                             ("backend.store_timeout", s.storeTimeout), ("backend.store_head_timeout", s.storeHeadTimeout),
                             ("proxy.token_window", s.tokenWindow)]
        where value <= .zero {
            throw .badValue(key: key, reason: "must be positive")
        }
        try ConfigDocument.finish(root)
        return s
    }

    /// `prefix` as `/x/` (or `/` for none), or nil when it holds bytes a path segment should not.
    public static func normalisedPrefix(_ prefix: String) -> String? {
        let segments = prefix.split(separator: "/")
        let allowed = { (b: UInt8) in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || "-_.".utf8.contains(b)
        }
        guard segments.allSatisfy({ $0.utf8.allSatisfy(allowed) && $0 != "." && $0 != ".." }) else { return nil }
        return segments.isEmpty ? "/" : "/" + segments.joined(separator: "/") + "/"
    }

    /// The token window in whole seconds.
    var tokenWindowSeconds: Int64 { tokenWindow.components.seconds }
}
