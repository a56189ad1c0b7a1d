import BFSCluster
import BFSCoordination
import BFSCore
import BFSHTTP
import BFSLoop
import BFSMetadata
import Dispatch
import Foundation
import Logging
import Synchronization

/// A running `bfs directory`: the metadata store, the cluster view, a leased key worker id, the
/// HTTP listener on shared loops and the reaper (DESIGN.md §5).
///
/// `start()` and `stop()` block the calling thread (opening the database, waiting for
/// coordination); request handling never does.
public final class DirectoryService: Sendable {
    /// Why the directory did not start.
    public struct StartupError: Error, CustomStringConvertible {
        /// What went wrong, for the operator.
        public let description: String
    }

    /// The settings in force.
    public let settings: DirectorySettings
    private let choice: CoordinationChoice
    private let logger: Logger

    private struct State: @unchecked Sendable {
        var group: EventLoopGroup?
        var server: HTTPServer?
        var coordination: (any Coordination)?
        var view: ClusterView?
        var lease: WorkerLease?
        var metadata: (any MetadataStore)?
        var context: DirectoryContext?
        var reaper: Task<Void, Never>?
        var port: Int?
        var stopped = false
    }
    private let state = Mutex(State())

    /// A directory with `settings`; coordination from `choice`, or from the settings when nil.
    public init(settings: DirectorySettings, coordination choice: CoordinationChoice? = nil,
                logger: Logger = Logger(label: "bfs.directory")) {
        self.settings = settings
        self.logger = logger
        self.choice = choice ?? (settings.coordinationBackend == "embedded"
            ? .embedded(EmbeddedTree()) : .zookeeper(hosts: settings.zookeeperAddrs.joined(separator: ",")))
    }

    /// The listener's port; available after `start()`.
    public var port: Int? { state.withLock { $0.port } }
    /// Handler context; available after `start()`.
    public var context: DirectoryContext? { state.withLock { $0.context } }

    /// Opens metadata, reads the cluster, leases a key worker id, then starts listening.
    @discardableResult
    public func start() throws -> Int {
        ignoreSIGPIPE()
        HeapRetention.keepFreedMemory()
        if let problem = settings.securityProblem { throw StartupError(description: problem) }
        let metadata = try openMetadata()
        state.withLock { $0.metadata = metadata }
        let group = try EventLoopGroup(loopCount: settings.workers > 0 ? settings.workers : EventLoopGroup.coreCount,
                                       name: "bfs-directory")
        state.withLock { $0.group = group }
        let control = group.loops[0]
        let executor: CoordinationExecutor = { work in control.execute(work) }
        let coordination = try choice.connect(root: settings.coordinationRoot, sessionTimeout: settings.sessionTimeout,
                                              executor: executor)
        let view = ClusterView(coordination: coordination, logger: logger)
        let keys = KeyGenerator()
        let lease = WorkerLease(coordination: coordination, generator: keys, logger: logger)
        state.withLock {
            $0.coordination = coordination
            $0.view = view
            $0.lease = lease
        }
        view.start()
        try coordinated("leasing a key worker id") { try await lease.acquire() }
        let ready = DispatchTime.now() + .seconds(30)
        while !view.isReady, DispatchTime.now() < ready { usleep(10_000) }
        guard view.isReady else { throw StartupError(description: "coordination did not give a cluster view within 30 s") }

        let context = DirectoryContext(settings: settings, metadata: metadata, snapshot: { view.snapshot }, keys: keys)
        var configuration = HTTPServerConfiguration()
        configuration.host = settings.listen.host == "localhost" ? "127.0.0.1" : settings.listen.host
        configuration.port = settings.listen.port
        configuration.maxBodyBytes = 1 << 20
        configuration.idleTimeoutMilliseconds = UInt64(settings.idleTimeout.wholeMilliseconds)
        configuration.headerTimeoutMilliseconds = UInt64(settings.headerTimeout.wholeMilliseconds)
        let server = HTTPServer(configuration: configuration, router: makeDirectoryRouter(context: context))
        let port = try server.start(on: group)
        let reaper = DirectoryReaper(context: context, loop: group.loops[group.loops.count - 1], logger: logger)
        let task = Task.detached { await reaper.run() }
        state.withLock {
            $0.context = context
            $0.server = server
            $0.port = port
            $0.reaper = task
        }
        logger.info("directory started", metadata: [
            "listen": "\(HostPort(host: configuration.host, port: port))", "worker": "\(keys.worker.map(String.init) ?? "none")",
            "metadata": "\(settings.metadataBackend)"])
        return port
    }

    /// Graceful stop: the listener drains, the reaper stops, the key worker id is given back,
    /// queued metadata work finishes, then the session ends.
    public func stop() {
        let s = state.withLock { s -> State in
            defer { s.stopped = true }
            return s
        }
        guard !s.stopped else { return }
        s.server?.stop()
        s.reaper?.cancel()
        s.view?.stop()
        if let lease = s.lease { try? coordinated("releasing the key worker id", seconds: 5) { await lease.release() } }
        if let metadata = s.metadata {
            let done = DispatchSemaphore(value: 0)
            metadata.close { done.signal() }
            _ = done.wait(timeout: .now() + 10)
        }
        if let coordination = s.coordination {
            let done = DispatchSemaphore(value: 0)
            coordination.close { done.signal() }
            _ = done.wait(timeout: .now() + 5)
        }
        s.group?.shutdown()
        logger.info("directory stopped")
    }

    private func openMetadata() throws -> any MetadataStore {
        let limits = SQLMetadataStore.Limits(writers: settings.metadataWriters, readers: settings.metadataReaders)
        do {
            if settings.metadataBackend == "postgres" {
                return try SQLMetadataStore.postgres(conninfo: settings.postgresConninfo, limits: limits)
            }
            let parent = (settings.sqlitePath as NSString).deletingLastPathComponent
            if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            return try SQLMetadataStore.sqlite(path: settings.sqlitePath, limits: limits)
        } catch {
            throw StartupError(description: "metadata (\(settings.metadataBackend)) did not open: \(error)")
        }
    }

    /// Shared coordination work from this (non-loop) thread, bounded; a failure is a startup
    /// error naming what was being done.
    private func coordinated(_ what: String, seconds: Double = 30, _ work: @escaping @Sendable () async throws -> Void) throws {
        do { try waitForCoordination(what, seconds: seconds, work) } catch { throw StartupError(description: error.description) }
    }
}
