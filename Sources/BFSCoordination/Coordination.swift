/// Runs a callback somewhere the caller chose (a loop's `execute`, a serial queue, ...).
///
/// Every completion, watch event and session event of a coordination client goes through the
/// executor the client was created with, so callers never run on ZooKeeper's own threads and
/// a store's events "hop to the loop" that owns them.
public typealias CoordinationExecutor = @Sendable (@escaping @Sendable () -> Void) -> Void

/// A one-shot watch handler: called at most once, through the client's executor.
public typealias WatchHandler = @Sendable (WatchEvent) -> Void

/// A completion handler: called exactly once, through the client's executor.
public typealias CoordinationCompletion<T> = @Sendable (Result<T, CoordinationError>) -> Void

/// A session listener: called through the client's executor for every session state change.
public typealias SessionListener = @Sendable (SessionEvent) -> Void

/// How a node is created: persistent unless `.ephemeral`; `.sequential` appends a counter.
public struct CreateMode: OptionSet, Sendable, Hashable {
    /// The raw flag bits (private to this module's meaning; not ZooKeeper's values).
    public let rawValue: Int
    /// Makes a mode from raw bits.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// The node lives as long as the session that created it.
    public static let ephemeral = CreateMode(rawValue: 1)
    /// The server appends a ten-digit, zero-padded counter of the children ever created under
    /// the parent (deletes do not advance it).
    public static let sequential = CreateMode(rawValue: 2)
    /// A plain persistent node.
    public static let persistent: CreateMode = []
}

/// The metadata of a node (a subset of ZooKeeper's `Stat`).
public struct NodeStat: Sendable, Equatable {
    /// Data version: 0 after create, +1 per set. The `version` argument of set/delete compares to it.
    public var version: Int32
    /// Child version: +1 per child created or deleted.
    public var childVersion: Int32
    /// Session id that owns this ephemeral node; 0 for persistent nodes.
    public var ephemeralOwner: Int64
    /// Length of the data in bytes.
    public var dataLength: Int32
    /// Number of children.
    public var childCount: Int32

    /// Makes a stat.
    public init(version: Int32, childVersion: Int32, ephemeralOwner: Int64, dataLength: Int32, childCount: Int32) {
        self.version = version
        self.childVersion = childVersion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.childCount = childCount
    }
}

/// The answer to `get`: the data and the stat it was read with.
public struct NodeData: Sendable, Equatable {
    /// The node's bytes.
    public var data: [UInt8]
    /// The node's stat at the time of the read (its `version` feeds a later versioned set).
    public var stat: NodeStat

    /// Makes a node data value.
    public init(data: [UInt8], stat: NodeStat) {
        self.data = data
        self.stat = stat
    }
}

/// What fired a one-shot watch.
public enum WatchEventKind: Sendable, Equatable {
    /// The node was created (exists watch on a missing node).
    case created
    /// The node was deleted (data, exists and child watches).
    case deleted
    /// The node's data was set (data and exists watches).
    case dataChanged
    /// A child was added or removed (child watches).
    case childrenChanged
    /// The session expired while the watch was pending. The watch is gone and changes may have
    /// been missed: the owner reads again (arming a new watch) once `.recovered` arrives.
    case sessionExpired
}

/// A fired watch: its kind and the path it was set on (relative to the client's root).
public struct WatchEvent: Sendable, Equatable {
    /// What happened.
    public var kind: WatchEventKind
    /// The watched path, as the caller gave it.
    public var path: String

    /// Makes an event.
    public init(kind: WatchEventKind, path: String) {
        self.kind = kind
        self.path = path
    }
}

/// A change of the client's session.
public enum SessionEvent: Sendable, Equatable {
    /// Connected (first time, or again within the same session: ephemerals and watches kept).
    case connected
    /// The connection dropped; the client is reconnecting and the session may still be alive.
    case disconnected
    /// The session expired: its ephemerals are gone and pending watches fired `.sessionExpired`.
    /// The client is opening a new session.
    case expired
    /// A new session is connected after an expiry and this client's ephemerals were re-created.
    /// `renamed` maps old to new paths for sequential ephemerals (same prefix, new counter);
    /// `failed` lists ephemerals that could not be re-created (for example, a parent was deleted).
    case recovered(renamed: [String: String], failed: [String])
}

/// A coordination service client (ZooKeeper or the embedded tree) with ZooKeeper's semantics.
///
/// Paths are absolute ("/rack/a") and relative to the client's configured root. Every call
/// returns at once; its completion runs later through the client's executor. Watches are
/// one-shot: data watches (get, exists) fire on create/delete/set of the node, child watches
/// (children) fire on child changes and on deletion of the node.
public protocol Coordination: AnyObject, Sendable {
    /// Creates a node and answers its actual path (with the counter for sequential nodes).
    func create(_ path: String, data: [UInt8], mode: CreateMode, completion: @escaping CoordinationCompletion<String>)
    /// Reads a node's data and stat; with `watch`, arms a one-shot data watch if it exists.
    func get(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeData>)
    /// Writes a node's data if its version equals `version` (-1 matches any); answers the new stat.
    func set(_ path: String, data: [UInt8], version: Int32, completion: @escaping CoordinationCompletion<NodeStat>)
    /// Deletes a childless node if its version equals `version` (-1 matches any).
    func delete(_ path: String, version: Int32, completion: @escaping CoordinationCompletion<Void>)
    /// Answers the node's stat or nil; with `watch`, arms a one-shot watch either way.
    func exists(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeStat?>)
    /// Lists a node's child names (unsorted); with `watch`, arms a one-shot child watch.
    func children(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<[String]>)
    /// Creates the node and its missing ancestors (root prefix included) as persistent empty nodes.
    func ensurePath(_ path: String, completion: @escaping CoordinationCompletion<Void>)
    /// Registers a listener for session events, for the life of the client.
    func addSessionListener(_ listener: @escaping SessionListener)
    /// Ends the session (its ephemerals vanish, pending watches never fire); `completion` runs
    /// through the executor once the session is closed. Later calls fail with `.closed`.
    func close(completion: (@Sendable () -> Void)?)
}
