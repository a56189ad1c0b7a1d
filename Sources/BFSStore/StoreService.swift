import BFSCoordination
import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import Dispatch
import Logging
import Synchronization

/// A running `bfs store`: volumes, the api/admin/stat listeners on shared loops, and its
/// registration in coordination (DESIGN.md §4).
///
/// `start()` and `stop()` block the calling thread (startup and shutdown work: opening volumes,
/// waiting for coordination); request handling never does.
public final class StoreService: Sendable {
    /// The ports the three listeners got (the settings' ports, or the kernel's choice for 0).
    public struct Ports: Sendable, Equatable {
        public var api: Int, admin: Int, stat: Int
    }

    /// Why the store did not start.
    public struct StartupError: Error, CustomStringConvertible {
        public let description: String
    }

    public let settings: StoreSettings
    /// Handler context (volumes, metrics, stats); available after `start()`.
    public var context: StoreContext? { state.withLock { $0.context } }
    /// Listener ports; available after `start()`.
    public var ports: Ports? { state.withLock { $0.ports } }
    private let choice: CoordinationChoice
    private let fileSystem: FileSystem
    private let logger: Logger

    private struct State: @unchecked Sendable {
        var group: EventLoopGroup?
        var servers: [HTTPServer] = []
        var context: StoreContext?
        var coordination: (any Coordination)?
        var registrar: StoreRegistrar?
        var scrubber: StoreScrubber?
        var addresses: StoreRegistrar.Addresses?
        var ports: Ports?
        var stopped = false
    }
    private let state = Mutex(State())

    /// A store with `settings`; coordination from `choice`, or from the settings when nil. All
    /// volume I/O goes through `fileSystem` (crash tests pass a fault-injecting one).
    public init(settings: StoreSettings, coordination choice: CoordinationChoice? = nil,
                fileSystem: FileSystem = PosixFileSystem(), logger: Logger = Logger(label: "bfs.store")) {
        self.settings = settings.withAbsolutePaths()
        self.fileSystem = fileSystem
        self.logger = logger
        self.choice = choice ?? (settings.coordinationBackend == "embedded"
            ? .embedded(EmbeddedTree()) : .zookeeper(hosts: settings.zookeeperAddrs.joined(separator: ",")))
    }

    /// Opens the volumes, registers in coordination, starts the listeners and publishes the store.
    @discardableResult
    public func start() throws -> Ports {
        ignoreSIGPIPE()
        if let problem = settings.securityProblem { throw StartupError(description: problem) }
        let fs = fileSystem
        try fs.makeDirectory(settings.dataDir)
        var volumeSettings = VolumeSettings()
        volumeSettings.needleMaxSize = Int(settings.needleMaxSize)
        volumeSettings.durableWrites = settings.durableWrites
        volumeSettings.blockPreallocation = settings.freeVolumeSize
        let metrics = StoreMetrics()
        volumeSettings.syncObserver = SyncObserver { batch in metrics.syncBatch.record(Int64(batch)) }
        let volumes = try StoreVolumes(fileSystem: fs, volumeListPath: settings.volumeIndex,
                                       freeListPath: settings.freeVolumeIndex, settings: volumeSettings,
                                       dataDirectories: settings.volumeDirectories)
        for (vid, error) in volumes.failedVolumes.sorted(by: { $0.key < $1.key }) {
            logger.error("volume failed to open; serving the others", metadata: ["vid": "\(vid)", "error": "\(error)"])
        }
        let group = try EventLoopGroup(loopCount: settings.workers > 0 ? settings.workers : EventLoopGroup.coreCount,
                                       name: "bfs-store")
        let control = group.loops[0]
        let executor: CoordinationExecutor = { work in control.execute(work) }
        let coordination = try choice.connect(root: settings.coordinationRoot, sessionTimeout: settings.sessionTimeout,
                                              executor: executor)
        let registrar = StoreRegistrar(coordination: coordination, id: settings.id, rack: settings.rack, logger: logger)
        let context = StoreContext(settings: settings, volumes: volumes, metrics: metrics, events: registrar)
        state.withLock {
            $0.group = group
            $0.context = context
            $0.coordination = coordination
            $0.registrar = registrar
        }

        try coordinated("registering volumes") { try await self.reconcile() }

        var servers: [HTTPServer] = []
        var bound: [Int] = []
        let routers = [makeAPIRouter(context: context), AdminAuthorization.guarding(makeAdminRouter(context: context), token: settings.clusterToken),
                       makeStatRouter(context: context)]
        let listens = [settings.apiListen, settings.adminListen, settings.statListen]
        for (router, listen) in zip(routers, listens) {
            let server = HTTPServer(configuration: serverConfiguration(listen, api: servers.isEmpty), router: router)
            bound.append(try server.start(on: group))
            servers.append(server)
        }
        let ports = Ports(api: bound[0], admin: bound[1], stat: bound[2])
        let addresses = StoreRegistrar.Addresses(
            api: advertised(settings.apiListen, ports.api), admin: advertised(settings.adminListen, ports.admin),
            stat: advertised(settings.statListen, ports.stat))
        state.withLock {
            $0.servers = servers
            $0.ports = ports
            $0.addresses = addresses
        }
        try coordinated("publishing the store") { try await registrar.publish(addresses) }
        coordination.addSessionListener { [weak self] event in self?.sessionDidChange(event) }
        let scrubber = StoreScrubber(context: context, logger: logger)
        state.withLock { $0.scrubber = scrubber }
        scrubber.start()
        logger.info("store started", metadata: [
            "id": "\(settings.id)", "api": "\(addresses.api)", "admin": "\(addresses.admin)", "stat": "\(addresses.stat)",
            "volumes": "\(volumes.volumeIDs.count)", "free": "\(volumes.freeCount)"])
        return ports
    }

    /// Graceful stop: listeners stop accepting and in-flight requests finish (bounded by the HTTP
    /// drain timeout), then volumes are synced and closed, then the session ends.
    public func stop() {
        let s = state.withLock { s -> State in
            defer { s.stopped = true }
            return s
        }
        guard !s.stopped else { return }
        s.scrubber?.stop()
        for server in s.servers { server.stop() }
        if let registrar = s.registrar {
            try? coordinated("withdrawing", seconds: 5) { await registrar.withdraw() }
        }
        s.context?.executors.shutdown()
        s.context?.volumes.close()
        if let coordination = s.coordination {
            let done = DispatchSemaphore(value: 0)
            coordination.close { done.signal() }
            _ = done.wait(timeout: .now() + 5)
        }
        s.group?.shutdown()
        logger.info("store stopped", metadata: ["id": "\(settings.id)"])
    }

    /// Local volumes and their znodes merged; volumes only coordination knows are opened.
    private func reconcile() async throws {
        guard let context, let registrar = state.withLock({ $0.registrar }) else { return }
        let volumes = context.volumes
        let local = volumes.volumeIDs.compactMap { vid -> RackVolume? in
            guard let v = volumes.volume(vid) else { return nil }
            return RackVolume(blockPath: v.blockPath, indexPath: v.indexPath, vid: vid)
        }
        for entry in try await registrar.reconcile(local: local) {
            do {
                try volumes.bulkVolume(id: entry.vid, blockPath: entry.blockPath, indexPath: entry.indexPath)
                logger.info("opened volume known to coordination", metadata: ["vid": "\(entry.vid)", "block": "\(entry.blockPath)"])
            } catch {
                logger.error("volume in coordination failed to open", metadata: ["vid": "\(entry.vid)", "error": "\(error)"])
            }
        }
    }

    /// After a session expiry the registration is redone: persistent nodes may have been lost
    /// with a ZooKeeper that restarted empty, and `/live` died with the old session.
    private func sessionDidChange(_ event: SessionEvent) {
        guard case .recovered = event else { return }
        logger.warning("coordination session was renewed; registering again")
        Task {
            do {
                try await self.reconcile()
                if let addresses = self.state.withLock({ $0.addresses }), let registrar = self.state.withLock({ $0.registrar }) {
                    try await registrar.publish(addresses)
                }
            } catch {
                self.logger.error("re-registration failed", metadata: ["error": "\(error)"])
            }
        }
    }


    /// Shared coordination work from this (non-loop) thread, bounded by three session timeouts
    /// (at least 30 s); a failure is a startup error naming what was being done.
    private func coordinated(_ what: String, seconds: Double? = nil,
                             _ work: @escaping @Sendable () async throws -> Void) throws {
        let limit = seconds ?? max(30, Double(settings.sessionTimeout.wholeMilliseconds) / 1000 * 3)
        do { try waitForCoordination(what, seconds: limit, work) } catch { throw StartupError(description: error.description) }
    }

    private func serverConfiguration(_ listen: HostPort, api: Bool) -> HTTPServerConfiguration {
        var c = HTTPServerConfiguration()
        c.host = listen.host == "localhost" ? "127.0.0.1" : listen.host
        c.port = listen.port
        c.maxHeaderBytes = settings.maxHeaderSize
        // The api handlers bound their own bodies (needle size, batch size) and answer bfs's
        // {"ret":5011}; a server-level 413 in plain text would be unreadable to bfs clients.
        c.maxBodyBytes = api ? Int.max : 1 << 20
        c.idleTimeoutMilliseconds = UInt64(settings.idleTimeout.wholeMilliseconds)
        c.headerTimeoutMilliseconds = UInt64(settings.headerTimeout.wholeMilliseconds)
        c.bodyTimeoutMilliseconds = UInt64(settings.bodyTimeout.wholeMilliseconds)
        return c
    }

    /// The address other components dial: the listen host, or `advertise_host` for wildcards.
    private func advertised(_ listen: HostPort, _ port: Int) -> String {
        var host = listen.host
        if host == "0.0.0.0" || host == "::" {
            host = settings.advertiseHost.isEmpty ? "127.0.0.1" : settings.advertiseHost
        }
        return HostPort(host: host, port: port).description
    }
}

extension StoreService {
    /// First start of a single-node store (`bfs up`): when it has no volume yet, creates
    /// `count + 1` free volumes in the data directory (one stays free for compaction) and turns
    /// `count` of them into volumes 1...count. Blocks (disk work); call after `start()`.
    public func provisionIfEmpty(count: Int) throws {
        guard let context, context.volumes.volumeIDs.isEmpty, count > 0 else { return }
        let volumes = context.volumes
        if volumes.freeCount < count + 1 {
            try volumes.addFreeVolumes(count: count + 1 - volumes.freeCount,
                                       blockDirectory: settings.dataDir, indexDirectory: settings.dataDir)
        }
        for vid in 1...Int32(count) {
            let volume = try volumes.addVolume(vid)
            let done = DispatchSemaphore(value: 0)
            let failure = Mutex<(any Error)?>(nil)
            context.events.volumeDidChange(id: vid, block: volume.blockPath, index: volume.indexPath) { error in
                failure.withLock { $0 = error }
                done.signal()
            }
            done.wait()
            if let error = failure.withLock({ $0 }) { throw error }
        }
    }
}
