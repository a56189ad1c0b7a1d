/// A handle on one request in flight: cancel it, or pause and resume its response body.
///
/// Pausing stops reading the socket, so TCP flow control slows the server down: the proxy
/// relays a large needle to a slow downloader without buffering it. Loop thread only; every
/// method is a no-op once the request completed.
public final class HTTPClientTask {
    private weak var exchange: HTTPClientExchange?

    init(exchange: HTTPClientExchange) {
        self.exchange = exchange
    }

    /// Whether the request has not completed yet.
    public var isPending: Bool { exchange?.isPending ?? false }

    /// Ends the request now with `.cancelled`; its connection is closed, not pooled.
    public func cancel() {
        guard let exchange, exchange.isPending else { return }
        if let connection = exchange.connection {
            connection.cancel(exchange)
        } else {
            exchange.complete(.failure(.cancelled))
        }
    }

    /// Stops reading the response until `resumeReading()`.
    public func pauseReading() {
        guard let exchange, exchange.isPending else { return }
        exchange.isPaused = true
        // One waiting behind another pauses when its turn comes.
        if let connection = exchange.connection, connection.exchange === exchange { connection.tcp.stopReading() }
    }

    /// Reads the response again after `pauseReading()`.
    public func resumeReading() {
        guard let exchange, exchange.isPending, exchange.isPaused else { return }
        exchange.isPaused = false
        if let connection = exchange.connection, connection.exchange === exchange { connection.tcp.resumeReading() }
    }
}
