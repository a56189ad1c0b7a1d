import BFSLoop
import Synchronization

/// An HTTP/1.1 server accepting on one port from several loops (SO_REUSEPORT).
///
/// ```swift
/// var router = HTTPRouter()
/// router.add(.get, "/ping") { ex in ex.respond(body: .bytes(Array("pong".utf8))) }
/// let server = HTTPServer(configuration: config, router: router)
/// let port = try server.start(on: group)
/// ...
/// server.stop()   // on SIGTERM: stop accepting, drain in-flight requests (bounded)
/// ```
public final class HTTPServer: Sendable {
    /// Limits, timeouts and the listen address.
    public let configuration: HTTPServerConfiguration
    private let router: HTTPRouter
    private let contexts = Mutex<[HTTPServerLoopContext]>([])

    /// A server that will route requests with `router`.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), router: HTTPRouter) {
        self.configuration = configuration
        self.router = router
    }

    /// Binds a listener on each of the first `configuration.loopCount` loops and returns the
    /// port (the kernel's choice when the configuration says 0). Not from a loop thread.
    @discardableResult
    public func start(on group: EventLoopGroup) throws -> Int {
        let count = min(configuration.loopCount ?? group.loops.count, group.loops.count)
        let loops = Array(group.loops.prefix(max(count, 1)))
        var port = configuration.port
        var started: [HTTPServerLoopContext] = []
        if loops.count > 1 { try TCPListener.ensureNobodyListens(host: configuration.host, port: port) }
        do {
            for loop in loops {
                let (config, router, askedPort, reuse) = (configuration, self.router, port, loops.count > 1)
                let context = try loop.submitAndWait {
                    try HTTPServerLoopContext(loop: loop, configuration: config, router: router, port: askedPort, reusePort: reuse)
                }
                started.append(context)
                port = context.port  // the others join the port the first one got
            }
        } catch {
            for context in started { stop(context, timeout: 0) }
            throw error
        }
        contexts.withLock { $0 = started }
        return port
    }

    /// Starts stopping: listeners close at once, each busy connection closes after its current
    /// answer, and after `timeoutMilliseconds` (default: the configuration's drain timeout) the
    /// rest are closed. `completion` runs (on a loop thread) when every connection is gone.
    public func beginStop(timeoutMilliseconds: UInt64? = nil, completion: @escaping @Sendable () -> Void) {
        let all = contexts.withLock { c -> [HTTPServerLoopContext] in
            defer { c = [] }
            return c
        }
        guard !all.isEmpty else { return completion() }
        let remaining = Atomic<Int>(all.count)
        let timeout = timeoutMilliseconds ?? configuration.drainTimeoutMilliseconds
        for context in all {
            context.loop.execute {
                context.drain(timeout: timeout) {
                    if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { completion() }
                }
            }
        }
    }

    /// Stops and waits until every connection is closed (see `beginStop`). Not from a loop thread.
    public func stop(timeoutMilliseconds: UInt64? = nil) {
        let done = Completion<Bool>()
        beginStop(timeoutMilliseconds: timeoutMilliseconds) { done.fulfill(true) }
        _ = done.wait()
    }

    private func stop(_ context: HTTPServerLoopContext, timeout: UInt64) {
        let done = Completion<Bool>()
        context.loop.execute { context.drain(timeout: timeout) { done.fulfill(true) } }
        _ = done.wait()
    }

    /// Open connections over all loops (for tests and stats). Not from a loop thread.
    public var connectionCount: Int {
        let all = contexts.withLock { $0 }
        return all.reduce(0) { sum, c in sum + ((try? c.loop.submitAndWait { c.connectionCount }) ?? 0) }
    }

    /// How often file bodies found the socket full and waited for it to drain, all loops.
    package var sendfileWaitCount: Int {
        let all = contexts.withLock { $0 }
        return all.reduce(0) { sum, c in sum + ((try? c.loop.submitAndWait { c.sendfileWaits }) ?? 0) }
    }
}
