import BFSCoordination
import Logging
import Synchronization

/// The live cluster view every service reads: a `ClusterSnapshot` kept current by watches.
///
/// * Any fired watch asks for a rebuild; requests within `debounce` (and during a rebuild)
///   coalesce into one. A rebuild re-reads only the nodes whose watch fired (`WatchedCache`).
/// * A failed rebuild (connection loss, expired session) keeps the previous snapshot and is
///   retried after `retryDelay`; a session expiry drops the cache, `.recovered` rebuilds.
/// * Every `resyncInterval` the whole tree is read without watches and compared: on a
///   difference (a lost event, or a change in flight) the cache is dropped and read again.
///
/// Rebuilds run as tasks on the cooperative pool, never on a caller's loop; reading `snapshot`
/// only copies a reference under a lock.
public final class ClusterView: Sendable {
    /// Timing knobs; the defaults suit production, tests shorten them.
    public struct Options: Sendable {
        /// How long a burst of events may gather before the rebuild starts.
        public var debounce: Duration
        /// Wait before retrying a rebuild that failed.
        public var retryDelay: Duration
        /// Period of the unwatched full read that checks the watched picture.
        public var resyncInterval: Duration

        /// Makes options (defaults: 50 ms, 1 s as bfs's retry, 60 s).
        public init(debounce: Duration = .milliseconds(50), retryDelay: Duration = .seconds(1),
                    resyncInterval: Duration = .seconds(60)) {
            self.debounce = debounce
            self.retryDelay = retryDelay
            self.resyncInterval = resyncInterval
        }
    }

    /// Called with each new snapshot that differs from the last one.
    public typealias Observer = @Sendable (ClusterSnapshot) -> Void

    private struct State {
        var snapshot = ClusterSnapshot.empty
        var isReady = false
        var rebuilding = false
        var dirty = false
        var stopped = false
        var observers: [Observer] = []
        var resyncTask: Task<Void, Never>?
        var rebuildTask: Task<Void, Never>?
    }

    private let coordination: any Coordination
    private let options: Options
    private let logger: Logger
    private let state = Mutex(State())
    private let cache: WatchedCache

    /// Makes a view over `coordination`; nothing is read until `start`.
    public init(coordination: any Coordination, options: Options = Options(), logger: Logger) {
        self.coordination = coordination
        self.options = options
        self.logger = logger
        let requests = RebuildRequests()
        cache = WatchedCache { _ in requests.fire() }
        requests.target.withLock { $0.view = self }
    }

    /// The current snapshot (empty before the first read).
    public var snapshot: ClusterSnapshot { state.withLock { $0.snapshot } }

    /// True once a first snapshot has been read from coordination.
    public var isReady: Bool { state.withLock { $0.isReady } }

    /// Reads the whole cluster now, without the watch cache, for a caller that must see writes
    /// it just made (the watched snapshot follows them a moment later). Does not change
    /// `snapshot`; a failed read throws.
    public func readNow() async throws(CoordinationError) -> ClusterSnapshot {
        try await ClusterReader(coordination: coordination, cache: nil, logger: logger).read()
    }

    /// Registers `observer` for every later change; it runs on a pool thread and must not block.
    public func addObserver(_ observer: @escaping Observer) {
        state.withLock { $0.observers.append(observer) }
    }

    /// Reads the cluster and keeps watching it.
    public func start() {
        coordination.addSessionListener { [weak self] event in
            guard let self else { return }
            switch event {
            case .expired:
                self.cache.removeAll()
            case .connected, .recovered:
                self.requestRebuild()
            case .disconnected:
                break
            }
        }
        let resync = Task { [weak self, options] in
            while !Task.isCancelled {
                try? await Task.sleep(for: options.resyncInterval)
                guard let self, !Task.isCancelled else { return }
                await self.resync()
            }
        }
        state.withLock { $0.resyncTask = resync }
        requestRebuild()
    }

    /// Stops rebuilding; the last snapshot stays readable. The coordination client is the caller's.
    public func stop() {
        let tasks = state.withLock { state in
            state.stopped = true
            defer { (state.resyncTask, state.rebuildTask) = (nil, nil) }
            return [state.resyncTask, state.rebuildTask]
        }
        for task in tasks { task?.cancel() }
    }

    /// Asks for a rebuild; coalesces with one pending or running.
    func requestRebuild() {
        state.withLock { state in
            guard !state.stopped else { return }
            if state.rebuilding {
                state.dirty = true
                return
            }
            state.rebuilding = true
            state.dirty = false
            // The previous rebuild task has finished (`rebuilding` was false); the new one starts
            // after the debounce, outside this lock.
            state.rebuildTask = Task { [weak self, options] in
                try? await Task.sleep(for: options.debounce)
                await self?.rebuildUntilClean()
            }
        }
    }


    private func rebuildUntilClean() async {
        while !Task.isCancelled {
            let reader = ClusterReader(coordination: coordination, cache: cache, logger: logger)
            do {
                publish(try await reader.read())
            } catch {
                logger.warning("cluster view rebuild failed; keeping the last snapshot", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: options.retryDelay)
                state.withLock { $0.dirty = true }
            }
            let again = state.withLock { state -> Bool in
                if state.dirty && !state.stopped {
                    state.dirty = false
                    return true
                }
                state.rebuilding = false
                return false
            }
            guard again else { return }
        }
    }

    private func resync() async {
        let reader = ClusterReader(coordination: coordination, cache: nil, logger: logger)
        guard let fresh = try? await reader.read(), fresh != snapshot else { return }
        // Either an event was lost or a change is in flight; a full watched read settles both.
        logger.info("cluster view differed from a full read; reading everything again")
        cache.removeAll()
        requestRebuild()
    }

    private func publish(_ snapshot: ClusterSnapshot) {
        let observers = state.withLock { state -> [Observer] in
            let changed = state.snapshot != snapshot || !state.isReady
            state.snapshot = snapshot
            state.isReady = true
            return changed ? state.observers : []
        }
        for observer in observers { observer(snapshot) }
    }
}

/// Forwards watch fires to the view without the cache holding it strongly (the view owns the
/// cache, the cache's callback needs the view).
private final class RebuildRequests: Sendable {
    struct Target { weak var view: ClusterView? }
    let target = Mutex(Target())

    func fire() {
        target.withLock { $0.view }?.requestRebuild()
    }
}
