import BFSCore
import BFSHTTP
import BFSLoop
import Foundation
import Logging
import Synchronization

/// A running `bfs proxy`: the public listener on `workers` loops (SO_REUSEPORT), each loop with
/// its own keep-alive clients to the directory and the stores (DESIGN §2, §7).
///
/// ```swift
/// let proxy = ProxyService(settings: settings)
/// let port = try proxy.start()
/// ...
/// proxy.stop()   // /ping turns 503, then the listener drains
/// ```
///
/// `start()` and `stop()` block the calling thread; request handling never does.
public final class ProxyService: Sendable {
    /// The settings in force.
    public let settings: ProxySettings
    private let logger: Logger

    private struct State: @unchecked Sendable {
        var group: EventLoopGroup?
        var server: HTTPServer?
        var context: ProxyContext?
        var port: Int?
        var stopped = false
    }
    private let state = Mutex(State())

    /// A proxy with `settings`.
    public init(settings: ProxySettings, logger: Logger = Logger(label: "bfs.proxy")) {
        self.settings = settings
        self.logger = logger
    }

    /// The listener's port; available after `start()`.
    public var port: Int? { state.withLock { $0.port } }
    /// Handler context (metrics, caches); available after `start()`.
    public var context: ProxyContext? { state.withLock { $0.context } }

    /// Starts the loops and the listener; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        ignoreSIGPIPE()
        let group = try EventLoopGroup(loopCount: settings.workers > 0 ? settings.workers : EventLoopGroup.coreCount,
                                       name: "bfs-proxy")
        let context = ProxyContext(settings: settings, loops: group.loops)
        var configuration = HTTPServerConfiguration()
        configuration.host = settings.listen.host == "localhost" ? "127.0.0.1" : settings.listen.host
        configuration.port = settings.listen.port
        // The handlers enforce max_file_size with a Code header; the server's own limit only
        // stops bodies far past it.
        configuration.maxBodyBytes = Int(clamping: settings.maxFileSize) + (1 << 20)
        configuration.idleTimeoutMilliseconds = UInt64(settings.idleTimeout.wholeMilliseconds)
        configuration.headerTimeoutMilliseconds = UInt64(settings.headerTimeout.wholeMilliseconds)
        configuration.bodyTimeoutMilliseconds = UInt64(settings.bodyTimeout.wholeMilliseconds)
        configuration.sendTimeoutMilliseconds = UInt64(settings.sendTimeout.wholeMilliseconds)
        configuration.drainTimeoutMilliseconds = UInt64(settings.drainTimeout.wholeMilliseconds)
        let server = HTTPServer(configuration: configuration, router: makeProxyRouter(context: context))
        let port: Int
        do {
            port = try server.start(on: group)
        } catch {
            group.shutdown()
            throw error
        }
        state.withLock {
            $0.group = group
            $0.server = server
            $0.context = context
            $0.port = port
        }
        logger.info("proxy started", metadata: [
            "listen": "\(HostPort(host: configuration.host, port: port))", "directory": "\(settings.directory)",
            "prefix": "\(settings.prefix)", "workers": "\(group.loops.count)"])
        return port
    }

    /// Marks the proxy as going away: `/ping` answers 503 from now on, requests are still served.
    public func beginDraining() {
        state.withLock { $0.context }?.shuttingDown.store(true, ordering: .relaxed)
    }

    /// Graceful stop: `/ping` turns 503 for `shutdown_grace`, then the listener closes and
    /// in-flight requests finish (bounded by `drain_timeout`), then the loops end.
    public func stop() {
        let s = state.withLock { s -> State in
            defer { s.stopped = true }
            return s
        }
        guard !s.stopped else { return }
        s.context?.shuttingDown.store(true, ordering: .relaxed)
        let grace = settings.shutdownGrace.wholeMilliseconds
        if grace > 0, s.server != nil { usleep(UInt32(clamping: grace * 1000)) }
        s.server?.stop()
        s.context?.closeClients()
        s.context?.stopDrainWatch()
        s.group?.shutdown()
        logger.info("proxy stopped")
    }
}
