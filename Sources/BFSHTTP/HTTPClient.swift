import BFSLoop
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 client on one ``EventLoop``, with a keep-alive connection pool per `host:port`.
///
/// Used by the proxy to talk to the directory and stores, by a store pulling a volume from a
/// peer, and by tests. One request per connection at a time (no pipelining); a finished
/// keep-alive connection goes back to the pool and the next request to the same `host:port`
/// takes it. Response bodies stream to a callback chunk by chunk, or are gathered for small
/// answers. All methods run on the loop thread (checked), so no state needs a lock; the class
/// is `@unchecked Sendable` only so a reference can be handed to the loop from elsewhere.
///
/// ```swift
/// loop.execute {
///     client.execute(HTTPClientRequest(host: "127.0.0.1", port: 6062, target: "/info")) { result in
///         if case .success(let response) = result { print(response.status, response.text) }
///     }
/// }
/// ```
public final class HTTPClient: @unchecked Sendable {
    /// Timeouts and pool bounds.
    public struct Configuration: Sendable {
        /// Milliseconds to resolve and connect.
        public var connectTimeout: UInt64
        /// Milliseconds from sending a request to its last response byte.
        public var requestTimeout: UInt64
        /// Idle connections kept per `host:port`; more are closed when they finish.
        public var maxIdlePerHost: Int
        /// Milliseconds an idle connection may wait before it is not reused; kept below the
        /// servers' own idle timeouts so the client rarely races a server-side close.
        public var idleTimeout: UInt64
        /// Most bytes of a response's status line and headers.
        public var maxResponseHeadSize: Int
        /// Whether small requests are held and written at the end of the loop iteration, with
        /// the other writes of that iteration (`TCPConnection.coalescesWrites`).
        public var coalescesWrites = true
        /// Requests one connection may carry at once (HTTP/1.1 pipelining); 1 turns it off.
        /// Above 1, GETs and HEADs made in the same loop iteration to the same server share a
        /// connection (and a write) instead of taking one each; a slow answer then delays the
        /// ones queued behind it, so this suits servers that answer in microseconds.
        public var maxPipelineDepth = 1

        /// A configuration; defaults suit bfs services on a LAN.
        public init(connectTimeout: UInt64 = 5_000, requestTimeout: UInt64 = 30_000,
                    maxIdlePerHost: Int = 16, idleTimeout: UInt64 = 30_000,
                    maxResponseHeadSize: Int = 64 * 1024)
        {
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.maxIdlePerHost = maxIdlePerHost
            self.idleTimeout = idleTimeout
            self.maxResponseHeadSize = maxResponseHeadSize
        }
    }

    /// The loop every connection and callback of this client lives on.
    public let loop: EventLoop
    /// The configuration in force.
    public let configuration: Configuration
    private var idle: [String: [HTTPClientConnection]] = [:]
    private var open: [ObjectIdentifier: HTTPClientConnection] = [:]
    /// Per `host:port`, the connection the latest request went out on (pipelining only).
    private var latest: [String: HTTPClientConnection] = [:]
    private var isClosed = false
    /// TCP connections opened so far (for stats and tests of reuse).
    public private(set) var connectionsOpened = 0

    /// A client on `loop` (from any thread).
    public init(loop: EventLoop, configuration: Configuration = Configuration()) {
        self.loop = loop
        self.configuration = configuration
    }

    /// Connections open right now, busy or idle.
    public var openConnectionCount: Int { open.count }

    /// Idle connections in the pool right now.
    public var idleConnectionCount: Int { idle.values.reduce(0) { $0 + $1.count } }

    /// Sends `request`, streaming the response: `onHead` once, `onBody` per chunk (valid
    /// during the call only), then `completion` exactly once with the head or the error.
    ///
    /// An error thrown by `onBody` (say, the proxy's downstream went away) aborts the exchange:
    /// the connection is closed and `completion` gets that error. The returned task cancels the
    /// request or pauses its body.
    @discardableResult
    public func execute(
        _ request: HTTPClientRequest,
        onHead: @escaping (HTTPClientResponseHead) -> Void = { _ in },
        onBody: @escaping (UnsafeRawBufferPointer) throws(HTTPClientError) -> Void,
        completion: @escaping (Result<HTTPClientResponseHead, HTTPClientError>) -> Void
    ) -> HTTPClientTask {
        precondition(loop.inEventLoop, "HTTPClient used off its loop thread")
        let exchange = HTTPClientExchange(request: request, onHead: onHead, onBody: onBody,
                                          completion: completion)
        start(exchange)
        return HTTPClientTask(exchange: exchange)
    }

    /// Sends `request` and gathers the whole response body (up to `maxBodySize` bytes).
    @discardableResult
    public func execute(
        _ request: HTTPClientRequest, maxBodySize: Int = 16 * 1024 * 1024,
        completion: @escaping (Result<HTTPClientResponse, HTTPClientError>) -> Void
    ) -> HTTPClientTask {
        final class Gathered { var body: [UInt8] = [] }
        let gathered = Gathered()
        return execute(request, onBody: { bytes throws(HTTPClientError) in
            guard gathered.body.count + bytes.count <= maxBodySize else {
                throw .responseBodyTooLarge(limit: maxBodySize)
            }
            gathered.body.append(contentsOf: bytes)
        }, completion: { result in
            completion(result.map { HTTPClientResponse(head: $0, body: gathered.body) })
        })
    }

    /// Closes idle connections and fails requests in flight with `.clientClosed`; later
    /// requests fail at once. Loop thread only.
    public func close() {
        precondition(loop.inEventLoop, "HTTPClient used off its loop thread")
        isClosed = true
        for connection in Array(open.values) {
            if connection.exchange != nil {
                connection.fail(.clientClosed)
            } else {
                connection.close()
            }
        }
        idle.removeAll()
        latest.removeAll()
    }

    /// Sends an exchange on a pooled connection or a new one.
    private func start(_ exchange: HTTPClientExchange) {
        guard !isClosed else { return exchange.complete(.failure(.clientClosed)) }
        let head: [UInt8]
        do {
            head = try exchange.request.makeHead()
        } catch {
            return exchange.complete(.failure(error))
        }
        let key = "\(exchange.request.host):\(exchange.request.port)"
        let pipelines = configuration.maxPipelineDepth > 1
        if pipelines && !exchange.retried, let connection = latest[key], connection.canTakeFollower(exchange.request) {
            connection.sendFollower(exchange, head: head)
            return
        }
        if !exchange.retried, let connection = takeIdle(key) {
            connection.send(exchange, head: head)
            if pipelines { latest[key] = connection }
            return
        }
        TCPConnection.connect(on: loop, host: exchange.request.host, port: exchange.request.port,
                              timeoutMilliseconds: configuration.connectTimeout) { [self] result in
            switch result {
            case .failure(let error):
                exchange.complete(.failure(error.errno == ETIMEDOUT
                    ? .connectTimeout : .connectFailed(error)))
            case .success(let tcp):
                connectionsOpened += 1
                let connection = HTTPClientConnection(key: key, tcp: tcp, client: self)
                open[ObjectIdentifier(connection)] = connection
                do throws(UVError) {
                    try connection.startReading()
                } catch {
                    connection.close()
                    return exchange.complete(.failure(.transport(error)))
                }
                guard !isClosed else {
                    connection.close()
                    return exchange.complete(.failure(.clientClosed))
                }
                // Cancelled while connecting: the fresh connection serves the next request.
                guard exchange.isPending else { return connectionDidBecomeIdle(connection) }
                connection.send(exchange, head: head)
                if pipelines { latest[key] = connection }
            }
        }
    }

    /// The newest idle connection to `key` that has not idled too long.
    private func takeIdle(_ key: String) -> HTTPClientConnection? {
        while let connection = idle[key]?.popLast() {
            if loop.now - connection.idleSince <= configuration.idleTimeout && !connection.tcp.isClosed {
                return connection
            }
            connection.close()
        }
        return nil
    }

    /// Re-sends an exchange whose reused connection turned out to be closed.
    func retry(_ exchange: HTTPClientExchange) {
        start(exchange)
    }

    /// Puts a connection whose exchange finished back into the pool, or closes it.
    func connectionDidBecomeIdle(_ connection: HTTPClientConnection) {
        guard !isClosed, idle[connection.key, default: []].count < configuration.maxIdlePerHost else {
            connection.close()
            return
        }
        connection.idleSince = loop.now
        idle[connection.key, default: []].append(connection)
    }

    /// Forgets a connection whose socket has closed.
    func connectionDidClose(_ connection: HTTPClientConnection) {
        open.removeValue(forKey: ObjectIdentifier(connection))
        idle[connection.key]?.removeAll { $0 === connection }
        if latest[connection.key] === connection { latest[connection.key] = nil }
    }
}
