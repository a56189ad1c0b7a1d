import BFSLoop

/// A server's state on one loop: its listener, its connections, the cached Date line.
///
/// Loop thread only (it is handed between threads once, at start, hence @unchecked Sendable).
final class HTTPServerLoopContext: @unchecked Sendable {
    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    let router: HTTPRouter
    let dateCache: HTTPDateCache
    private var listener: TCPListener?
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    private(set) var draining = false
    private var drainTimer: LoopTimer?
    private var drainDone: (() -> Void)?
    /// How often a file body hit a full socket and waited for writability.
    var sendfileWaits = 0
    /// The port the listener got.
    let port: Int

    init(loop: EventLoop, configuration: HTTPServerConfiguration, router: HTTPRouter, port: Int, reusePort: Bool) throws(UVError) {
        self.loop = loop
        self.configuration = configuration
        self.router = router
        dateCache = HTTPDateCache(loop: loop)
        var accept: ((TCPConnection) -> Void)?
        do {
            let listener = try TCPListener(
                on: loop, host: configuration.host, port: port, reusePort: reusePort,
                backlog: configuration.backlog, readBufferSize: configuration.readBufferSize
            ) { tcp in accept?(tcp) }
            self.listener = listener
            self.port = listener.port
        } catch {
            dateCache.close()
            throw error
        }
        accept = { [weak self] tcp in self?.didAccept(tcp) }
    }

    private func didAccept(_ tcp: TCPConnection) {
        guard !draining, connections.count < configuration.maxConnectionsPerLoop else { return tcp.close() }
        let connection = HTTPServerConnection(tcp: tcp, context: self)
        if !tcp.isClosed { connections[ObjectIdentifier(connection)] = connection }
    }

    func connectionDidClose(_ connection: HTTPServerConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        if draining && connections.isEmpty { finishDrain() }
    }

    /// The number of open connections.
    var connectionCount: Int { connections.count }

    /// Stops accepting, lets busy connections finish their answer, then reports `done`;
    /// connections still open after `timeout` ms are closed.
    func drain(timeout: UInt64, done: @escaping () -> Void) {
        guard !draining else { return }
        draining = true
        drainDone = done
        listener?.close()
        listener = nil
        for connection in Array(connections.values) { connection.drain() }
        if connections.isEmpty { return finishDrain() }
        drainTimer = loop.scheduleTimer(after: timeout) { [weak self] in
            guard let self else { return }
            for connection in Array(self.connections.values) { connection.tcp.close() }
        }
    }

    private func finishDrain() {
        drainTimer?.close()
        drainTimer = nil
        dateCache.close()
        let done = drainDone
        drainDone = nil
        done?()
    }
}
