import CZooKeeper
import Dispatch
import Synchronization

/// A coordination client on a real ZooKeeper ensemble, through the C multi-threaded client.
///
/// Every call uses ZooKeeper's asynchronous API, so it never blocks the caller's thread (a loop
/// thread may call it). The C client answers on its completion thread; the answer is copied and
/// handed to the executor. Blocking C calls (`zookeeper_init` after an expiry, `zookeeper_close`,
/// which joins the C threads) run on a private serial queue, never on a C callback thread.
///
/// Watches are registered with the handle's global watcher and dispatched by path, so one
/// server-side watch serves every handler armed on that path. Session handling:
/// - a lost connection gives `.disconnected`, then `.connected` when the C client is back within
///   the session (it re-arms server watches itself; ephemerals were kept);
/// - an expired session gives `.expired`: pending watches fire `.sessionExpired` (they are not
///   re-armed: changes may have been missed, so owners read again), a new handle is opened, the
///   ephemerals this client created are re-created, then `.recovered(renamed:failed:)`.
///
/// Expiry is the server's decision: a client cut off longer than its session timeout learns of
/// it when it reaches a server again. A standalone server restarted from its data directory
/// restores its sessions with fresh timers, so after such a restart clients see `.disconnected`
/// then `.connected` with their ephemerals intact (tested with 7 s down and a 4 s timeout).
///
/// Call `close()` when done: each C handle keeps its client alive until it is closed.
public final class ZooKeeperCoordination: Coordination {
    let hosts: String
    let root: CoordinationRoot
    let sessionTimeout: Int32
    let executor: CoordinationExecutor
    let control = DispatchQueue(label: "bfs.coordination.zookeeper")
    let state = Mutex(State())
    /// Calls issued and not answered yet, failed with `.closed` if the C client drops them at close.
    let outstanding: OutstandingCalls

    struct PendingWatch {
        var path: String
        var handler: WatchHandler
    }

    struct State {
        var handle: OpaquePointer?
        var context: Unmanaged<ZooKeeperHandleContext>?
        var generation: UInt64 = 0
        var connected = false
        /// Counts connection losses, so a delayed local-expiry check knows if it is stale.
        var disconnects: UInt64 = 0
        var closed = false
        var recovering = false
        var pendingRecovery = EphemeralRegistry()
        var listeners: [SessionListener] = []
        var ephemerals = EphemeralRegistry()
        var nextWatchID: UInt64 = 0
        var dataWatches: [String: [UInt64: PendingWatch]] = [:]
        var childWatches: [String: [UInt64: PendingWatch]] = [:]

        mutating func arm(_ watch: WatchHandler?, path: String, full: String, child: Bool) -> UInt64? {
            guard let watch else { return nil }
            nextWatchID += 1
            let pending = PendingWatch(path: path, handler: watch)
            if child { childWatches[full, default: [:]][nextWatchID] = pending } else { dataWatches[full, default: [:]][nextWatchID] = pending }
            return nextWatchID
        }

        mutating func disarm(_ id: UInt64?, full: String, child: Bool) {
            guard let id else { return }
            if child { childWatches[full]?[id] = nil } else { dataWatches[full]?[id] = nil }
        }
    }

    /// Connects to `hosts` ("127.0.0.1:2181,..."); every path is taken relative to `root`.
    ///
    /// Returns at once; the session comes up in the background (`.connected`), and calls made
    /// before that wait inside the C client. Create the root with `ensurePath("/")`.
    public init(hosts: String, root: String = "", sessionTimeout: Duration = .seconds(10),
                executor: @escaping CoordinationExecutor) throws(CoordinationError) {
        self.hosts = hosts
        self.root = try CoordinationRoot(root)
        let (seconds, attoseconds) = sessionTimeout.components
        self.sessionTimeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        self.executor = executor
        outstanding = OutstandingCalls(executor: executor)
        zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR)
        let opened = state.withLock { state in openHandle(&state) }
        guard opened else { throw .other(code: ZSYSTEMERROR.rawValue, message: "zookeeper_init failed for \(hosts)") }
    }

    /// The current session id (0 before the first connection); it changes after an expiry.
    public var sessionID: Int64 {
        state.withLock { state in state.handle.flatMap { zoo_client_id($0)?.pointee.client_id } ?? 0 }
    }

    /// Creates a node (see `Coordination.create`).
    public func create(_ path: String, data: [UInt8], mode: CreateMode, completion: @escaping CoordinationCompletion<String>) {
        let completion = outstanding.track(completion)
        submit(path, sequential: mode.contains(.sequential), completion) { state, zh, full in
            let reply = ZooKeeperReply<String?> { rc, created in
                let result = self.result(rc, path) { self.root.relative(created ?? full) }
                if case .success(let actual) = result {
                    self.state.withLock { $0.ephemerals.didCreate(actual, requested: path, data: data, mode: mode) }
                }
                self.executor { completion(result) }
            }
            let context = reply.retainedPointer()
            let rc = ZooKeeperC.withBytes(data) { bytes, count in
                zoo_acreate(zh, full, bytes, count, czk_open_acl_unsafe(), ZooKeeperC.flags(mode), ZooKeeperC.stringCompletion, context)
            }
            if rc != ZOK.rawValue { ZooKeeperReply<String?>.cancel(context) }
            return rc
        }
    }

    /// Reads a node, optionally arming a data watch (see `Coordination.get`).
    public func get(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeData>) {
        let completion = outstanding.track(completion)
        submit(path, completion) { state, zh, full in
            let id = state.arm(watch, path: path, full: full, child: false)
            let reply = ZooKeeperReply<([UInt8], NodeStat?)> { rc, payload in
                // A failed get leaves no watch on the server.
                if rc != ZOK.rawValue { self.state.withLock { $0.disarm(id, full: full, child: false) } }
                let result = self.result(rc, path) { NodeData(data: payload.0, stat: payload.1!) }
                self.executor { completion(result) }
            }
            let context = reply.retainedPointer()
            let rc = zoo_aget(zh, full, id == nil ? 0 : 1, ZooKeeperC.dataCompletion, context)
            if rc != ZOK.rawValue {
                ZooKeeperReply<([UInt8], NodeStat?)>.cancel(context)
                state.disarm(id, full: full, child: false)
            }
            return rc
        }
    }

    /// Writes a node's data with a version check (see `Coordination.set`).
    public func set(_ path: String, data: [UInt8], version: Int32, completion: @escaping CoordinationCompletion<NodeStat>) {
        let completion = outstanding.track(completion)
        submit(path, completion) { state, zh, full in
            let reply = ZooKeeperReply<NodeStat?> { rc, stat in
                let result = self.result(rc, path) { stat! }
                if rc == ZOK.rawValue { self.state.withLock { $0.ephemerals.didSet(path, data: data) } }
                self.executor { completion(result) }
            }
            let context = reply.retainedPointer()
            let rc = ZooKeeperC.withBytes(data) { bytes, count in
                zoo_aset(zh, full, bytes, count, version, ZooKeeperC.statCompletion, context)
            }
            if rc != ZOK.rawValue { ZooKeeperReply<NodeStat?>.cancel(context) }
            return rc
        }
    }

    /// Deletes a childless node with a version check (see `Coordination.delete`).
    public func delete(_ path: String, version: Int32, completion: @escaping CoordinationCompletion<Void>) {
        let completion = outstanding.track(completion)
        submit(path, completion) { state, zh, full in
            let reply = ZooKeeperReply<Void> { rc, _ in
                let result = self.result(rc, path) { () }
                if rc == ZOK.rawValue { self.state.withLock { $0.ephemerals.didDelete(path) } }
                self.executor { completion(result) }
            }
            let context = reply.retainedPointer()
            let rc = zoo_adelete(zh, full, version, ZooKeeperC.voidCompletion, context)
            if rc != ZOK.rawValue { ZooKeeperReply<Void>.cancel(context) }
            return rc
        }
    }

    /// Answers a node's stat or nil, optionally arming a watch (see `Coordination.exists`).
    public func exists(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeStat?>) {
        let completion = outstanding.track(completion)
        submit(path, completion) { state, zh, full in
            let id = state.arm(watch, path: path, full: full, child: false)
            let reply = ZooKeeperReply<NodeStat?> { rc, stat in
                // Unlike get, exists arms its watch on a missing node too (it fires on create).
                let missing = rc == ZNONODE.rawValue
                if rc != ZOK.rawValue && !missing { self.state.withLock { $0.disarm(id, full: full, child: false) } }
                let result: Result<NodeStat?, CoordinationError> = missing ? .success(nil) : self.result(rc, path) { stat }
                self.executor { completion(result) }
            }
            let context = reply.retainedPointer()
            let rc = zoo_aexists(zh, full, id == nil ? 0 : 1, ZooKeeperC.statCompletion, context)
            if rc != ZOK.rawValue {
                ZooKeeperReply<NodeStat?>.cancel(context)
                state.disarm(id, full: full, child: false)
            }
            return rc
        }
    }

    /// Lists child names, optionally arming a child watch (see `Coordination.children`).
    public func children(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<[String]>) {
        let completion = outstanding.track(completion)
        submit(path, completion) { state, zh, full in
            let id = state.arm(watch, path: path, full: full, child: true)
            let reply = ZooKeeperReply<[String]> { rc, names in
                if rc != ZOK.rawValue { self.state.withLock { $0.disarm(id, full: full, child: true) } }
                let result = self.result(rc, path) { names }
                self.executor { completion(result) }
            }
            let context = reply.retainedPointer()
            let rc = zoo_aget_children(zh, full, id == nil ? 0 : 1, ZooKeeperC.stringsCompletion, context)
            if rc != ZOK.rawValue {
                ZooKeeperReply<[String]>.cancel(context)
                state.disarm(id, full: full, child: true)
            }
            return rc
        }
    }

    /// Creates the node and its missing ancestors (see `Coordination.ensurePath`).
    public func ensurePath(_ path: String, completion: @escaping CoordinationCompletion<Void>) {
        let completion = outstanding.track(completion)
        let full: String
        do { full = try root.full(path) } catch { return executor { completion(.failure(error)) } }
        createEach(CoordinationRoot.prefixes(of: full)[...], create: { prefix, done in
            let shown = self.root.relative(prefix)
            self.submitRaw(shown, full: prefix, done) { _, zh, _ in
                let reply = ZooKeeperReply<String?> { rc, created in done(self.result(rc, shown) { created ?? prefix }) }
                let context = reply.retainedPointer()
                let rc = ZooKeeperC.withBytes([]) { bytes, count in
                    zoo_acreate(zh, prefix, bytes, count, czk_open_acl_unsafe(), 0, ZooKeeperC.stringCompletion, context)
                }
                if rc != ZOK.rawValue { ZooKeeperReply<String?>.cancel(context) }
                return rc
            }
        }, completion: { result in self.executor { completion(result) } })
    }

    /// Converts a return code into a result, building the value only on success.
    func result<T>(_ rc: Int32, _ path: String, _ value: () -> T) -> Result<T, CoordinationError> {
        rc == ZOK.rawValue ? .success(value()) : .failure(ZooKeeperC.error(rc, path: path))
    }

    /// Issues one call on the current handle under the lock, so it never races the handle's
    /// close; synchronous failures are answered through the executor.
    private func submit<T: Sendable>(_ path: String, sequential: Bool = false, _ completion: @escaping CoordinationCompletion<T>,
                           _ issue: (inout State, OpaquePointer, String) -> Int32) {
        let full: String
        do { full = try root.full(path, sequential: sequential) } catch { return executor { completion(.failure(error)) } }
        submitRaw(path, full: full, { result in self.executor { completion(result) } }, issue)
    }

    /// Issues a call that needs only the handle (session recovery).
    func submitRawCall<T: Sendable>(_ path: String, full: String, _ fail: @escaping CoordinationCompletion<T>,
                          _ issue: (OpaquePointer) -> Int32) {
        submitRaw(path, full: full, fail) { _, zh, _ in issue(zh) }
    }

    /// Like `submit`, but synchronous failures go to `fail` directly (caller picks the thread).
    private func submitRaw<T: Sendable>(_ path: String, full: String, _ fail: @escaping CoordinationCompletion<T>,
                              _ issue: (inout State, OpaquePointer, String) -> Int32) {
        let error = state.withLock { state -> CoordinationError? in
            if state.closed { return .closed }
            guard let zh = state.handle else { return .connectionLoss }
            let rc = issue(&state, zh, full)
            return rc == ZOK.rawValue ? nil : ZooKeeperC.error(rc, path: path)
        }
        if let error { fail(.failure(error)) }
    }
}
