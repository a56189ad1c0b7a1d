import BFSCluster
import BFSCoordination
import BFSCore
import BFSHTTP
import BFSLoop
import Dispatch
import Logging
import Synchronization

/// A running `bfs pitchfork` (DESIGN.md §6): joins `/pitchfork`, follows the cluster view,
/// probes the stores it owns and writes their status and volume state.
///
/// One libuv loop carries everything: probe timers, the HTTP client, coordination callbacks
/// and the stat listener. Coordination writes run as tasks; nothing blocks the loop.
/// `start()` and `stop()` block the calling thread (never the loop) while joining and leaving.
public final class PitchforkService: Sendable {
    private struct Running: @unchecked Sendable {
        var group: EventLoopGroup
        var coordination: any Coordination
        var view: ClusterView
        var assignment: ProbeAssignment
        var client: HTTPClient
        var server: HTTPServer?
    }

    /// The settings in force.
    public let settings: PitchforkSettings
    /// The metrics `/metrics` renders.
    public let metrics = PitchforkMetrics()
    private let choice: CoordinationChoice
    private let logger: Logger
    private let running = Mutex<Running?>(nil)

    /// A pitchfork with `settings`; coordination from `choice`, or ZooKeeper from the settings.
    public init(settings: PitchforkSettings, coordination choice: CoordinationChoice? = nil,
                logger: Logger = Logger(label: "bfs.pitchfork")) {
        self.settings = settings
        self.logger = logger
        self.choice = choice ?? .zookeeper(hosts: settings.zookeeperAddrs.joined(separator: ","))
    }

    /// The stores this pitchfork probes now, with their status.
    public var owned: OwnedStores {
        running.withLock { $0?.assignment.owned } ?? OwnedStores(id: "", stores: [])
    }

    /// Connects, joins the pitchfork list, starts the stat listener and begins probing; answers
    /// the stat listener's port.
    @discardableResult
    public func start() throws -> Int {
        ignoreSIGPIPE()
        let group = try EventLoopGroup(loopCount: 1, name: "bfs-pitchfork")
        let loop = group.loops[0]
        let executor: CoordinationExecutor = { work in loop.execute(work) }
        let coordination = try choice.connect(root: settings.coordinationRoot, sessionTimeout: settings.sessionTimeout,
                                              executor: executor)
        let timeout = settings.probeTimeoutMilliseconds
        let client = HTTPClient(loop: loop, configuration: .init(connectTimeout: timeout, requestTimeout: timeout, maxIdlePerHost: 2))
        let publisher = StatusPublisher(coordination: coordination)
        let context = ProbeContext(loop: loop, client: client, publisher: publisher, metrics: metrics,
                                   settings: settings, logger: logger)
        let assignment = ProbeAssignment(context: context)
        let view = ClusterView(coordination: coordination, logger: logger)
        running.withLock { $0 = Running(group: group, coordination: coordination, view: view, assignment: assignment, client: client) }

        view.addObserver { snapshot in loop.execute { assignment.apply(snapshot) } }
        coordination.addSessionListener { [weak self] event in
            assignment.sessionDidChange(event) { self?.rejoin() }
        }
        let path = try coordinated("joining \(ZnodeLayout.pitchforks)") { () async throws -> String in
            try await publisher.join()
        }
        loop.execute { assignment.didJoin(path: path) }
        view.start()

        var configuration = HTTPServerConfiguration()
        configuration.host = settings.statListen.host == "localhost" ? "127.0.0.1" : settings.statListen.host
        configuration.port = settings.statListen.port
        configuration.maxBodyBytes = 0
        let server = HTTPServer(configuration: configuration, router: makePitchforkStatRouter(metrics: metrics, assignment: assignment))
        let port = try server.start(on: group)
        running.withLock { $0?.server = server }
        logger.info("pitchfork started", metadata: ["node": "\(path)", "stat": "\(configuration.host):\(port)"])
        return port
    }

    /// Leaves cleanly: probing stops, the session closes (the `/pitchfork` node vanishes at once,
    /// so the others take over without waiting for a session timeout), the listener stops.
    public func stop() {
        guard let r = running.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        r.view.stop()
        let loop = r.group.loops[0]
        try? loop.submitAndWait {
            r.assignment.stop()
            r.client.close()
        }
        r.server?.stop()
        let done = DispatchSemaphore(value: 0)
        r.coordination.close { done.signal() }
        _ = done.wait(timeout: .now() + 5)
        r.group.shutdown()
        logger.info("pitchfork stopped")
    }

    /// Creates the membership node again after the client could not restore it.
    private func rejoin() {
        guard let r = running.withLock({ $0 }) else { return }
        let publisher = StatusPublisher(coordination: r.coordination)
        let loop = r.group.loops[0]
        Task {
            do {
                let path = try await publisher.join()
                loop.execute { r.assignment.didJoin(path: path) }
            } catch {
                self.logger.error("could not join \(ZnodeLayout.pitchforks) again", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Shared coordination work from this (non-loop) thread, bounded by three session timeouts
    /// (at least 30 s); a failure is a startup error naming what was being done.
    private func coordinated<T: Sendable>(_ what: String, _ work: @escaping @Sendable () async throws -> T) throws -> T {
        let limit = max(30, Double(settings.sessionTimeout.wholeMilliseconds) / 1000 * 3)
        do { return try waitForCoordination(what, seconds: limit, work) } catch { throw PitchforkError.startupFailed(error.description) }
    }
}
