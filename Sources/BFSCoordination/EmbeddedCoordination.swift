import Synchronization

/// A coordination client on an in-process `EmbeddedTree`, with ZooKeeper's semantics.
///
/// Used by `bfs up` and by unit tests. Each client is one session: its ephemerals vanish when it
/// is closed or `expire()`d. It is always connected: a listener added gets `.connected` at once.
/// Completions and watch events run through the executor given at creation.
public final class EmbeddedCoordination: Coordination {
    private let tree: EmbeddedTree
    private let root: CoordinationRoot
    private let executor: CoordinationExecutor
    private let state: Mutex<ClientState>

    private struct ClientState {
        var session: Int64
        var closed = false
        var listeners: [SessionListener] = []
        var ephemerals = EphemeralRegistry()
    }

    /// Opens a session on `tree`; every path is taken relative to `root` ("" for none).
    public init(tree: EmbeddedTree, root: String = "", executor: @escaping CoordinationExecutor) throws(CoordinationError) {
        self.tree = tree
        self.root = try CoordinationRoot(root)
        self.executor = executor
        let session = try tree.withState { $0.openSession() }
        state = Mutex(ClientState(session: session))
    }

    /// This client's current session id (changes after `expire()`).
    public var sessionID: Int64 { state.withLock { $0.session } }

    /// Creates a node (see `Coordination.create`).
    public func create(_ path: String, data: [UInt8], mode: CreateMode, completion: @escaping CoordinationCompletion<String>) {
        run(completion) { tree, root, session throws(CoordinationError) in
            let full = try root.full(path, sequential: mode.contains(.sequential))
            let created = root.relative(try tree.withState { (state: inout EmbeddedTreeState) throws(CoordinationError) in try state.create(full, shown: path, data: data, mode: mode, session: session) })
            self.state.withLock { state in
                if state.session == session { state.ephemerals.didCreate(created, requested: path, data: data, mode: mode) }
            }
            return created
        }
    }

    /// Reads a node, optionally arming a data watch (see `Coordination.get`).
    public func get(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeData>) {
        run(completion) { tree, root, session throws(CoordinationError) in
            let full = try root.full(path)
            let armed = watch.map { EmbeddedWatch(session: session, path: path, handler: $0, executor: self.executor) }
            return try tree.withState { (state: inout EmbeddedTreeState) throws(CoordinationError) in try state.get(full, shown: path, watch: armed) }
        }
    }

    /// Writes a node's data with a version check (see `Coordination.set`).
    public func set(_ path: String, data: [UInt8], version: Int32, completion: @escaping CoordinationCompletion<NodeStat>) {
        run(completion) { tree, root, _ throws(CoordinationError) in
            let full = try root.full(path)
            let stat = try tree.withState { (state: inout EmbeddedTreeState) throws(CoordinationError) in try state.set(full, shown: path, data: data, version: version) }
            self.state.withLock { $0.ephemerals.didSet(path, data: data) }
            return stat
        }
    }

    /// Deletes a childless node with a version check (see `Coordination.delete`).
    public func delete(_ path: String, version: Int32, completion: @escaping CoordinationCompletion<Void>) {
        run(completion) { tree, root, _ throws(CoordinationError) in
            let full = try root.full(path)
            try tree.withState { (state: inout EmbeddedTreeState) throws(CoordinationError) in try state.delete(full, shown: path, version: version) }
            self.state.withLock { $0.ephemerals.didDelete(path) }
        }
    }

    /// Answers a node's stat or nil, optionally arming a watch (see `Coordination.exists`).
    public func exists(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeStat?>) {
        run(completion) { tree, root, session throws(CoordinationError) in
            let full = try root.full(path)
            let armed = watch.map { EmbeddedWatch(session: session, path: path, handler: $0, executor: self.executor) }
            return try tree.withState { (state: inout EmbeddedTreeState) throws(CoordinationError) in try state.exists(full, watch: armed) }
        }
    }

    /// Lists child names, optionally arming a child watch (see `Coordination.children`).
    public func children(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<[String]>) {
        run(completion) { tree, root, session throws(CoordinationError) in
            let full = try root.full(path)
            let armed = watch.map { EmbeddedWatch(session: session, path: path, handler: $0, executor: self.executor) }
            return try tree.withState { (state: inout EmbeddedTreeState) throws(CoordinationError) in try state.children(full, shown: path, watch: armed) }
        }
    }

    /// Creates the node and its missing ancestors (see `Coordination.ensurePath`).
    public func ensurePath(_ path: String, completion: @escaping CoordinationCompletion<Void>) {
        run(completion) { tree, root, session throws(CoordinationError) in
            let full = try root.full(path)
            try tree.withState { state throws(CoordinationError) in
                for prefix in CoordinationRoot.prefixes(of: full) where state.nodes[prefix] == nil {
                    _ = try state.create(prefix, shown: root.relative(prefix), data: [], mode: .persistent, session: session)
                }
            }
        }
    }

    /// Registers a session listener; it gets `.connected` at once if the session is up.
    public func addSessionListener(_ listener: @escaping SessionListener) {
        let closed = state.withLock { state in
            if !state.closed { state.listeners.append(listener) }
            return state.closed
        }
        if !closed { executor { listener(.connected) } }
    }

    /// Ends the session; `completion` runs through the executor once it is closed.
    public func close(completion: (@Sendable () -> Void)?) {
        let session = state.withLock { state -> Int64? in
            defer { state.closed = true }
            return state.closed ? nil : state.session
        }
        if let session {
            // Pending watches of a closed session never fire, as with ZooKeeper.
            _ = try? tree.withState { $0.endSession(session) }
        }
        if let completion { executor(completion) }
    }

    /// Simulates a session expiry (test hook): the session's ephemerals are deleted (others'
    /// watches fire), its pending watches fire `.sessionExpired`, listeners get `.expired`; then a
    /// new session re-creates the ephemerals and listeners get `.recovered`.
    public func expire() {
        guard let (old, listeners, registry) = state.withLock({ state in
            state.closed ? nil : (state.session, state.listeners, state.ephemerals)
        }) else { return }
        let pending = (try? tree.withState { $0.endSession(old) }) ?? []
        for watch in pending { FiredWatch(watch: watch, kind: .sessionExpired).deliver() }
        notify(listeners, .expired)
        guard let session = try? tree.withState({ $0.openSession() }) else { return }
        state.withLock { $0.session = session }
        var recovery = EphemeralRecovery()
        for (path, record) in registry.ordered {
            let created = try? tree.withState { state throws(CoordinationError) in
                try state.create(try root.full(record.requestedPath, sequential: record.mode.contains(.sequential)), shown: record.requestedPath,
                                 data: record.data, mode: record.mode, session: session)
            }
            recovery.note(old: path, record: record, newPath: created.map(root.relative))
        }
        state.withLock { if $0.session == session { $0.ephemerals = recovery.registry } }
        notify(listeners, recovery.event)
    }

    private func notify(_ listeners: [SessionListener], _ event: SessionEvent) {
        for listener in listeners { executor { listener(event) } }
    }

    /// Runs one call against the tree in the current session and hands its result to the executor.
    private func run<T: Sendable>(
        _ completion: @escaping CoordinationCompletion<T>,
        _ body: (EmbeddedTree, CoordinationRoot, Int64) throws(CoordinationError) -> T
    ) {
        let result: Result<T, CoordinationError>
        if let session = state.withLock({ $0.closed ? nil : $0.session }) {
            result = Result { () throws(CoordinationError) -> T in try body(tree, root, session) }
        } else {
            result = .failure(.closed)
        }
        executor { completion(result) }
    }
}
