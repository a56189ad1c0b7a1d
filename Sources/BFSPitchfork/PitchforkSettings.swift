import BFSCoordination
import BFSCore

/// Everything `bfs pitchfork` reads from `Conf/pitchfork.toml`, with the defaults an operator
/// gets when a key is absent. `Conf/pitchfork.toml` documents every key; `load` rejects unknown keys.
public struct PitchforkSettings: Sendable, Equatable {
    /// How the `/live/<storeId>` node of a store is used.
    public enum LiveCheck: String, Sendable, Equatable, CaseIterable {
        /// A store whose `/live` node this pitchfork has seen once is `Fail` whenever the node is
        /// missing; a store never seen with one (a Go bfs store) is judged by its probes alone.
        case auto
        /// A store without a `/live` node is `Fail` (a cluster of our stores only).
        case required
        /// `/live` is not looked at; probes alone decide.
        case ignored
    }

    /// Period of the `/info` probe of each owned store (bfs `StoreCheckInterval`).
    public var storeCheckInterval: Duration = .seconds(5)
    /// Period of the needle probe (`HEAD /probe?vid=`) of each volume (bfs `NeedleCheckInterval`).
    public var needleCheckInterval: Duration = .seconds(60)
    /// Connect plus answer time allowed to one probe request.
    public var probeTimeout: Duration = .seconds(3)
    /// Consecutive good `/info` rounds a `Fail` store needs before it is marked readable again.
    public var goodChecksToRecover: Int = 3
    /// A volume with less free space than this counts as full; a store whose volumes are all
    /// full is `Read` (bfs: 1 MiB).
    public var fullBelow: Int64 = 1 << 20
    /// How `/live` nodes count (see `LiveCheck`).
    public var liveCheck: LiveCheck = .auto

    /// The stat listener (`/metrics`, `/ping`, `/stores`).
    public var statListen = HostPort(host: "127.0.0.1", port: 6070)

    /// ZooKeeper servers.
    public var zookeeperAddrs: [String] = ["127.0.0.1:2181"]
    /// Root prefix for every znode ("" = bfs layout at /); the same as the stores'.
    public var coordinationRoot: String = ""
    /// ZooKeeper session timeout; a killed pitchfork's stores move to the others after about this long.
    public var sessionTimeout: Duration = .seconds(10)

    /// The defaults.
    public init() {}

    /// `storeCheckInterval` in milliseconds (libuv timers count milliseconds).
    var storeCheckMilliseconds: UInt64 { UInt64(max(1, storeCheckInterval.wholeMilliseconds)) }
    /// `needleCheckInterval` in milliseconds.
    var needleCheckMilliseconds: UInt64 { UInt64(max(1, needleCheckInterval.wholeMilliseconds)) }
    /// `probeTimeout` in milliseconds.
    var probeTimeoutMilliseconds: UInt64 { UInt64(max(1, probeTimeout.wholeMilliseconds)) }

    /// Reads a config file, applying defaults and rejecting unknown keys or bad values.
    public static func load(path: String) throws(ConfigError) -> PitchforkSettings {
        try read(ConfigDocument.load(path: path))
    }

    /// Reads settings from an already parsed document.
    public static func read(_ root: ConfigTable) throws(ConfigError) -> PitchforkSettings {
        var s = PitchforkSettings()
        let probe = try root.section("pitchfork")
        s.storeCheckInterval = try positive(probe, "store_check_interval", s.storeCheckInterval)
        s.needleCheckInterval = try positive(probe, "needle_check_interval", s.needleCheckInterval)
        s.probeTimeout = try positive(probe, "probe_timeout", s.probeTimeout)
        s.goodChecksToRecover = try probe.int("good_checks_to_recover", default: s.goodChecksToRecover, in: 1...1000)
        s.fullBelow = try probe.byteSize("full_below", default: s.fullBelow, in: 0...(32 << 30))
        let live = try probe.string("live_check", default: s.liveCheck.rawValue)
        guard let liveCheck = LiveCheck(rawValue: live) else {
            throw .badValue(key: "pitchfork.live_check", reason: "'\(live)' is not one of auto, required, ignored")
        }
        s.liveCheck = liveCheck

        let http = try root.section("http")
        s.statListen = try http.address("stat_listen", default: s.statListen)

        let coordination = try root.section("coordination")
        s.zookeeperAddrs = try coordination.strings("zookeeper_addrs", default: s.zookeeperAddrs)
        guard !s.zookeeperAddrs.isEmpty else {
            throw .badValue(key: "coordination.zookeeper_addrs", reason: "must name at least one server")
        }
        s.coordinationRoot = try coordination.coordinationRoot(default: s.coordinationRoot)
        s.sessionTimeout = try positive(coordination, "session_timeout", s.sessionTimeout)

        try ConfigDocument.finish(root)
        return s
    }

    /// A duration that must be above zero (a zero period would spin the loop).
    private static func positive(_ table: ConfigTable, _ key: String, _ value: Duration) throws(ConfigError) -> Duration {
        let d = try table.duration(key, default: value)
        guard d > .zero else { throw .badValue(key: table.qualified(key), reason: "must be above zero") }
        return d
    }
}
