import BFSLoop

/// One request in flight: its callbacks, its timer, and whether it may be retried.
final class HTTPClientExchange {
    let request: HTTPClientRequest
    let onHead: (HTTPClientResponseHead) -> Void
    let onBody: (UnsafeRawBufferPointer) throws(HTTPClientError) -> Void
    private var completion: ((Result<HTTPClientResponseHead, HTTPClientError>) -> Void)?
    var head: HTTPClientResponseHead?
    /// Its connection's timer while it runs the exchange's timeout.
    var timer: LoopTimer?
    /// Whether this exchange was already re-sent once after a stale keep-alive connection.
    var retried = false
    /// The connection carrying the exchange, once it has one.
    weak var connection: HTTPClientConnection?
    /// Whether the caller paused reading the response (see ``HTTPClientTask``).
    var isPaused = false

    init(request: HTTPClientRequest, onHead: @escaping (HTTPClientResponseHead) -> Void,
         onBody: @escaping (UnsafeRawBufferPointer) throws(HTTPClientError) -> Void,
         completion: @escaping (Result<HTTPClientResponseHead, HTTPClientError>) -> Void)
    {
        self.request = request
        self.onHead = onHead
        self.onBody = onBody
        self.completion = completion
    }

    /// Whether the completion has not run yet.
    var isPending: Bool { completion != nil }

    /// Runs the completion once and drops every callback (breaking cycles through captures).
    func complete(_ result: Result<HTTPClientResponseHead, HTTPClientError>) {
        timer?.stop()
        timer = nil
        connection = nil
        guard let completion else { return }
        self.completion = nil
        completion(result)
    }
}
