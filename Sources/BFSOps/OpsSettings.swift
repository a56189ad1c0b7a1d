import BFSCoordination
import BFSCore
import Foundation

/// Everything `bfs ops` reads from `Conf/ops.toml`, with the defaults an operator gets when a
/// key is absent. `Conf/ops.toml` documents every key; `load` rejects unknown keys.
public struct OpsSettings: Sendable, Equatable {
    /// The listener: the JSON API under `/api/` and the web UI.
    public var listen = HostPort(host: "127.0.0.1", port: 6080)
    /// Event loops (threads) serving HTTP and talking to stores.
    public var workers: Int = 1
    /// The cluster token: sent to stores and the directory, and accepted from API clients as
    /// `Authorization: Bearer <token>`. Empty: none is sent or accepted.
    public var clusterToken: String = ""
    /// The admin password as a `PasswordHash` string (`bfs ops hash-password`). Empty: no login.
    public var adminPasswordHash: String = ""
    /// How long a login session lasts from the login (the cookie's Max-Age too).
    public var loginLifetime: Duration = .seconds(8 * 3600)
    /// Failed logins allowed per minute (all clients together); more are answered 429.
    public var loginAttemptsPerMinute: Int = 10
    /// Add `Secure` to the session cookie (set when the console is served over TLS).
    public var secureCookie: Bool = false
    /// The static UI: a directory holding `index.html`, `login.html`, `app.js`, `style.css`.
    /// Relative paths are resolved against the working directory at startup.
    public var assetsDir: String = "ops"
    /// The directory's listener (buckets, file lookup).
    public var directory = HostPort(host: "127.0.0.1", port: 6065)
    /// Time allowed to one store or directory call (connect plus answer).
    public var callTimeout: Duration = .seconds(60)
    /// How often a running job reads its stores' `/info`.
    public var jobPollInterval: Duration = .milliseconds(300)

    /// `zookeeper` or `embedded` (in-process, single node).
    public var coordinationBackend: String = "zookeeper"
    /// ZooKeeper servers.
    public var zookeeperAddrs: [String] = ["127.0.0.1:2181"]
    /// Root prefix for every znode ("" = bfs layout at /).
    public var coordinationRoot: String = ""
    /// ZooKeeper session timeout.
    public var sessionTimeout: Duration = .seconds(10)

    /// Defaults.
    public init() {}

    /// Reads a config file, applying defaults and rejecting unknown keys or bad values.
    public static func load(path: String) throws(ConfigError) -> OpsSettings {
        try read(ConfigDocument.load(path: path))
    }

    /// Reads settings from an already parsed document.
    public static func read(_ root: ConfigTable) throws(ConfigError) -> OpsSettings {
        var s = OpsSettings()
        let ops = try root.section("ops")
        s.clusterToken = try ops.string("cluster_token", default: s.clusterToken)
        guard s.clusterToken.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .badValue(key: "ops.cluster_token", reason: "must be printable ASCII without spaces")
        }
        s.adminPasswordHash = try ops.string("admin_password_hash", default: s.adminPasswordHash)
        if !s.adminPasswordHash.isEmpty, PasswordHash(encoded: s.adminPasswordHash) == nil {
            throw .badValue(key: "ops.admin_password_hash", reason: "not a hash made by `bfs ops hash-password`")
        }
        s.loginLifetime = try positive(ops, "login_lifetime", s.loginLifetime)
        s.loginAttemptsPerMinute = try ops.int("login_attempts_per_minute", default: s.loginAttemptsPerMinute, in: 1...10_000)
        s.secureCookie = try ops.bool("secure_cookie", default: s.secureCookie)
        s.assetsDir = try ops.string("assets_dir", default: s.assetsDir)
        s.directory = try ops.address("directory", default: s.directory)
        s.callTimeout = try positive(ops, "call_timeout", s.callTimeout)
        s.jobPollInterval = try positive(ops, "job_poll_interval", s.jobPollInterval)

        let http = try root.section("http")
        s.listen = try http.address("listen", default: s.listen)
        s.workers = try http.int("workers", default: s.workers, in: 1...64)

        let coordination = try root.section("coordination")
        s.coordinationBackend = try coordination.coordinationBackend(default: s.coordinationBackend)
        s.zookeeperAddrs = try coordination.strings("zookeeper_addrs", default: s.zookeeperAddrs)
        s.coordinationRoot = try coordination.coordinationRoot(default: s.coordinationRoot)
        s.sessionTimeout = try positive(coordination, "session_timeout", s.sessionTimeout)

        try ConfigDocument.finish(root)
        return s
    }

    /// Why these settings must not serve, or nil: a console reachable from other hosts needs
    /// a password or a token, or anyone could reshape the cluster.
    public var securityProblem: String? {
        guard clusterToken.isEmpty, adminPasswordHash.isEmpty, !listen.isLoopback else { return nil }
        return "http.listen \(listen) is not loopback: set ops.admin_password_hash or ops.cluster_token"
    }

    /// `assetsDir` made absolute against the working directory.
    public var resolvedAssetsDir: String {
        assetsDir.hasPrefix("/") ? assetsDir : FileManager.default.currentDirectoryPath + "/" + assetsDir
    }

    private static func positive(_ table: ConfigTable, _ key: String, _ value: Duration) throws(ConfigError) -> Duration {
        let d = try table.duration(key, default: value)
        guard d > .zero else { throw .badValue(key: table.qualified(key), reason: "must be above zero") }
        return d
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 (libuv timers and client timeouts count milliseconds).
    var clampedMilliseconds: UInt64 { UInt64(max(1, wholeMilliseconds)) }
}
