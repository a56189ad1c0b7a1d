import BFSCluster
import BFSCoordination
import BFSCore
import BFSHTTP
import BFSLoop
import Dispatch
import Foundation
import Logging
import Synchronization

/// A running `bfs ops` (DESIGN.md §8): the admin JSON API under `/api/` and the web UI, over a
/// live cluster view, writing groups and volumes into coordination and calling the stores'
/// admin listeners and the directory.
///
/// Handlers run on the libuv loops and hand every action to a task; store and directory calls
/// go through one `HTTPClient` on the first loop, coordination calls are asynchronous, so no
/// loop thread ever waits. `start()` and `stop()` block the calling thread (never a loop).
public final class OpsService: Sendable {
    /// Why ops did not start.
    public struct StartupError: Error, CustomStringConvertible {
        /// What went wrong, for the operator.
        public let description: String
    }

    private struct Running: @unchecked Sendable {
        var group: EventLoopGroup
        var coordination: any Coordination
        var view: ClusterView
        var client: HTTPClient
        var server: HTTPServer
        var context: OpsContext
    }

    /// The settings in force.
    public let settings: OpsSettings
    private let choice: CoordinationChoice
    private let logger: Logger
    private let running = Mutex<Running?>(nil)

    /// Ops with `settings`; coordination from `choice`, or from the settings when nil.
    public init(settings: OpsSettings, coordination choice: CoordinationChoice? = nil,
                logger: Logger = Logger(label: "bfs.ops")) {
        self.settings = settings
        self.logger = logger
        self.choice = choice ?? (settings.coordinationBackend == "embedded"
            ? .embedded(EmbeddedTree()) : .zookeeper(hosts: settings.zookeeperAddrs.joined(separator: ",")))
    }

    /// The handler context; available after `start()`.
    public var context: OpsContext? { running.withLock { $0?.context } }

    /// Reads the assets and the cluster, then listens; answers the bound port.
    @discardableResult
    public func start() throws -> Int {
        ignoreSIGPIPE()
        if let problem = settings.securityProblem { throw StartupError(description: problem) }
        let assets = try OpsAssets(directory: settings.resolvedAssetsDir)
        let group = try EventLoopGroup(loopCount: settings.workers, name: "bfs-ops")
        let loop = group.loops[0]
        let coordination: any Coordination
        do {
            coordination = try choice.connect(root: settings.coordinationRoot, sessionTimeout: settings.sessionTimeout) { work in
                loop.execute(work)
            }
        } catch {
            group.shutdown()
            throw StartupError(description: "coordination: \(error)")
        }
        let view = ClusterView(coordination: coordination, logger: logger)
        let timeout = settings.callTimeout.clampedMilliseconds
        let client = HTTPClient(loop: loop, configuration: .init(connectTimeout: min(timeout, 5_000), requestTimeout: timeout))
        let calls = OpsCalls(loop: loop, client: client, token: settings.clusterToken)
        let context = OpsContext(settings: settings, view: view, coordination: coordination, calls: calls, logger: logger)
        view.addObserver { snapshot in context.history.observe(snapshot) }
        view.start()
        let ready = DispatchTime.now() + .seconds(30)
        while !view.isReady, DispatchTime.now() < ready { usleep(10_000) }
        guard view.isReady else {
            view.stop()
            coordination.close(completion: nil)
            group.shutdown()
            throw StartupError(description: "coordination did not give a cluster view within 30 s")
        }
        context.history.observe(view.snapshot)

        var configuration = HTTPServerConfiguration()
        configuration.host = settings.listen.host == "localhost" ? "127.0.0.1" : settings.listen.host
        configuration.port = settings.listen.port
        configuration.maxBodyBytes = 1 << 20
        let server = HTTPServer(configuration: configuration, router: makeOpsRouter(context: context, assets: assets))
        let port: Int
        do { port = try server.start(on: group) } catch {
            view.stop()
            coordination.close(completion: nil)
            group.shutdown()
            throw StartupError(description: "listening on \(settings.listen): \(error)")
        }
        running.withLock {
            $0 = Running(group: group, coordination: coordination, view: view, client: client, server: server, context: context)
        }
        logger.info("ops started", metadata: ["listen": "\(HostPort(host: configuration.host, port: port))",
                                              "assets": "\(settings.resolvedAssetsDir)"])
        return port
    }

    /// Stops listening (in-flight answers drain), closes the client and the session.
    public func stop() {
        guard let r = running.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        r.context.beginStopping()
        r.server.stop()
        r.view.stop()
        try? r.group.loops[0].submitAndWait { r.client.close() }
        let done = DispatchSemaphore(value: 0)
        r.coordination.close { done.signal() }
        _ = done.wait(timeout: .now() + 5)
        r.group.shutdown()
        logger.info("ops stopped")
    }
}
