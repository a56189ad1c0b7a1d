import Synchronization

/// An in-process znode tree with ZooKeeper's semantics: the "server" behind `EmbeddedCoordination`.
///
/// Several clients (sessions) may share one tree, like processes sharing one ZooKeeper; `bfs up`
/// runs every component on one tree. All state sits behind one `Mutex`; watch handlers are
/// collected under the lock and run afterwards through each watcher's executor, so a handler
/// never runs under the lock and may call back into the tree.
public final class EmbeddedTree: Sendable {
    private let state = Mutex(EmbeddedTreeState())

    /// Makes an empty tree holding only "/".
    public init() {}

    /// Runs `body` on the locked state, then delivers the watches it fired.
    func withState<T>(_ body: (inout EmbeddedTreeState) throws(CoordinationError) -> T) throws(CoordinationError) -> T {
        let (result, fired) = state.withLock { state -> (Result<T, CoordinationError>, [FiredWatch]) in
            defer { state.fired.removeAll() }
            do throws(CoordinationError) {
                return (.success(try body(&state)), state.fired)
            } catch {
                return (.failure(error), state.fired)
            }
        }
        for watch in fired { watch.deliver() }
        return try result.get()
    }
}

/// One node of the embedded tree.
struct EmbeddedNode {
    var data: [UInt8]
    var version: Int32 = 0
    var childVersion: Int32 = 0
    /// Children created so far: ZooKeeper's sequential counter, which (unlike the child
    /// version in the stat) deletes do not advance.
    var childrenCreated: Int32 = 0
    var ephemeralOwner: Int64 = 0
    var children: Set<String> = []

    var stat: NodeStat {
        NodeStat(version: version, childVersion: childVersion, ephemeralOwner: ephemeralOwner,
                 dataLength: Int32(data.count), childCount: Int32(children.count))
    }
}

/// A pending one-shot watch: who armed it, the path as they named it, where to deliver.
struct EmbeddedWatch {
    var session: Int64
    var path: String
    var handler: WatchHandler
    var executor: CoordinationExecutor
}

/// A watch that fired, ready to deliver outside the lock.
struct FiredWatch {
    var watch: EmbeddedWatch
    var kind: WatchEventKind

    func deliver() {
        let handler = watch.handler
        let event = WatchEvent(kind: kind, path: watch.path)
        watch.executor { handler(event) }
    }
}

/// The tree's state; every method runs under the tree's lock. Paths here are service paths
/// (root prefix included); `shown` is the caller's path, used in errors.
struct EmbeddedTreeState {
    var nodes: [String: EmbeddedNode] = ["/": EmbeddedNode(data: [])]
    var lastSession: Int64 = 0
    var liveSessions: Set<Int64> = []
    var ephemerals: [Int64: Set<String>] = [:]
    var dataWatches: [String: [EmbeddedWatch]] = [:]
    var childWatches: [String: [EmbeddedWatch]] = [:]
    var fired: [FiredWatch] = []

    mutating func openSession() -> Int64 {
        lastSession += 1
        liveSessions.insert(lastSession)
        return lastSession
    }

    /// Ends a session: deletes its ephemerals (firing others' watches) and answers the watches
    /// it still had pending, removed from the tree.
    mutating func endSession(_ session: Int64) -> [EmbeddedWatch] {
        liveSessions.remove(session)
        for path in (ephemerals.removeValue(forKey: session) ?? []).sorted(by: >) {
            try? delete(path, shown: path, version: -1)
        }
        var pending: [EmbeddedWatch] = []
        for key in Array(dataWatches.keys) {
            pending += dataWatches[key]!.filter { $0.session == session }
            dataWatches[key]!.removeAll { $0.session == session }
        }
        for key in Array(childWatches.keys) {
            pending += childWatches[key]!.filter { $0.session == session }
            childWatches[key]!.removeAll { $0.session == session }
        }
        return pending
    }

    mutating func create(_ path: String, shown: String, data: [UInt8], mode: CreateMode, session: Int64) throws(CoordinationError) -> String {
        try requireLive(session)
        guard let (parentPath, baseName) = CoordinationRoot.split(path) else { throw .nodeExists(path: shown) }
        guard let parent = nodes[parentPath] else { throw .noNode(path: shown) }
        guard parent.ephemeralOwner == 0 else { throw .noChildrenForEphemerals(path: shown) }
        // Like ZooKeeper: the counter is the number of children ever created, ten digits, zero padded.
        let name = mode.contains(.sequential) ? baseName + Self.counter(parent.childrenCreated) : baseName
        let created = parentPath == "/" ? "/" + name : parentPath + "/" + name
        guard nodes[created] == nil else { throw .nodeExists(path: shown) }
        var node = EmbeddedNode(data: data)
        if mode.contains(.ephemeral) {
            node.ephemeralOwner = session
            ephemerals[session, default: []].insert(created)
        }
        nodes[created] = node
        nodes[parentPath]!.children.insert(name)
        nodes[parentPath]!.childVersion += 1
        nodes[parentPath]!.childrenCreated &+= 1
        fireData(created, .created)
        fireChildren(parentPath, .childrenChanged)
        return created
    }

    mutating func delete(_ path: String, shown: String, version: Int32) throws(CoordinationError) {
        guard let (parentPath, name) = CoordinationRoot.split(path) else { throw .invalidPath(path: shown) }
        guard let node = nodes[path] else { throw .noNode(path: shown) }
        guard version == -1 || version == node.version else { throw .badVersion(path: shown) }
        guard node.children.isEmpty else { throw .notEmpty(path: shown) }
        nodes[path] = nil
        nodes[parentPath]!.children.remove(name)
        nodes[parentPath]!.childVersion += 1
        if node.ephemeralOwner != 0 { ephemerals[node.ephemeralOwner]?.remove(path) }
        fireData(path, .deleted)
        fireChildren(path, .deleted)
        fireChildren(parentPath, .childrenChanged)
    }

    mutating func set(_ path: String, shown: String, data: [UInt8], version: Int32) throws(CoordinationError) -> NodeStat {
        guard var node = nodes[path] else { throw .noNode(path: shown) }
        guard version == -1 || version == node.version else { throw .badVersion(path: shown) }
        node.data = data
        node.version &+= 1
        nodes[path] = node
        fireData(path, .dataChanged)
        return node.stat
    }

    mutating func get(_ path: String, shown: String, watch: EmbeddedWatch?) throws(CoordinationError) -> NodeData {
        try requireLive(watch?.session)
        guard let node = nodes[path] else { throw .noNode(path: shown) }
        if let watch { dataWatches[path, default: []].append(watch) }
        return NodeData(data: node.data, stat: node.stat)
    }

    mutating func exists(_ path: String, watch: EmbeddedWatch?) throws(CoordinationError) -> NodeStat? {
        try requireLive(watch?.session)
        if let watch { dataWatches[path, default: []].append(watch) }
        return nodes[path]?.stat
    }

    mutating func children(_ path: String, shown: String, watch: EmbeddedWatch?) throws(CoordinationError) -> [String] {
        try requireLive(watch?.session)
        guard let node = nodes[path] else { throw .noNode(path: shown) }
        if let watch { childWatches[path, default: []].append(watch) }
        return Array(node.children)
    }

    /// Removes every data watch armed on `path` and queues it to fire once.
    private mutating func fireData(_ path: String, _ kind: WatchEventKind) {
        guard let armed = dataWatches.removeValue(forKey: path) else { return }
        fired += armed.map { FiredWatch(watch: $0, kind: kind) }
    }

    /// Removes every child watch armed on `path` and queues it to fire once.
    private mutating func fireChildren(_ path: String, _ kind: WatchEventKind) {
        guard let armed = childWatches.removeValue(forKey: path) else { return }
        fired += armed.map { FiredWatch(watch: $0, kind: kind) }
    }

    /// A call made in a session that already ended fails like ZooKeeper's expired handle.
    private func requireLive(_ session: Int64?) throws(CoordinationError) {
        if let session, !liveSessions.contains(session) { throw .sessionExpired }
    }

    static func counter(_ value: Int32) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }
}
