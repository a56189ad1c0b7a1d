import BFSLoop

/// One request and its response, as a handler sees it.
///
/// The handler runs on the connection's loop thread as soon as the head has arrived. It may
/// read the body as it streams in (`readBody`) or whole (`collectBody`), and answer at once or
/// much later (`respond` from any thread hops to the loop). Answering before the request body
/// has ended closes the connection after the answer; the rest of the body is discarded.
/// Everything but `respond` must be called on `loop`.
public final class HTTPServerExchange: @unchecked Sendable {
    /// The request line and headers.
    public let head: HTTPRequestHead
    /// The loop the connection lives on.
    public let loop: EventLoop
    weak var connection: HTTPServerConnection?

    var requestEnded = false
    var responseStarted = false
    var responseEnded = false
    /// Close the connection once this exchange is over.
    var closeAfter = false
    private var continueSent = false
    private var buffered: [UInt8] = []
    private var onChunk: ((UnsafeRawBufferPointer) -> Void)?
    private var onEnd: ((HTTPError?) -> Void)?
    private var bodyError: HTTPError?
    private var closeHandlers: [() -> Void] = []
    private(set) var bodyBytesReceived = 0

    init(head: HTTPRequestHead, connection: HTTPServerConnection) {
        self.head = head
        self.loop = connection.loop
        self.connection = connection
    }

    /// The client's address as "host:port" ("[v6]:port"), nil once the connection is gone.
    public var remoteAddress: String? { connection?.tcp.remoteAddress }

    /// Whether the connection is still open (the answer can still be delivered).
    public var isConnectionOpen: Bool { connection != nil }

    /// Streams the body: `onChunk` per piece as it arrives (the buffer is valid only during the
    /// call), then `onEnd(nil)` or `onEnd(error)`. Sends `100 Continue` if the client waits for it.
    public func readBody(onChunk: @escaping (UnsafeRawBufferPointer) -> Void, onEnd: @escaping (HTTPError?) -> Void) {
        precondition(loop.inEventLoop, "readBody off the loop thread")
        precondition(self.onEnd == nil, "readBody called twice")
        self.onChunk = onChunk
        self.onEnd = onEnd
        sendContinueIfExpected()
        if !buffered.isEmpty {
            let early = buffered
            buffered = []
            early.withUnsafeBytes { onChunk($0) }
        }
        if requestEnded || bodyError != nil {
            finishBody(bodyError)
        } else {
            connection?.bodyConsumerAttached()
        }
    }

    /// Collects the whole body, up to `limit` bytes (default: the server's body limit). A larger
    /// body fails with `.bodyTooLarge` and the server answers 413 itself.
    public func collectBody(limit: Int? = nil, _ done: @escaping (Result<[UInt8], HTTPError>) -> Void) {
        let limit = limit ?? Int.max
        var body: [UInt8] = []
        if let n = head.contentLength { body.reserveCapacity(min(n, limit)) }
        var failed = false
        readBody(onChunk: { [weak self] chunk in
            guard !failed else { return }
            if body.count + chunk.count > limit {
                failed = true
                done(.failure(.bodyTooLarge(limit: limit)))
                self?.connection?.reject(.contentTooLarge)
                return
            }
            body.append(contentsOf: chunk)
        }, onEnd: { error in
            guard !failed else { return }
            if let error { done(.failure(error)) } else { done(.success(body)) }
        })
    }

    /// Answers the request (from any thread). `completion` runs on the loop once the server no
    /// longer needs the body's resources (for `.file`, the descriptor), with an error if the
    /// answer could not be delivered.
    public func respond(
        status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: HTTPResponseBody = .empty,
        completion: (@Sendable (HTTPError?) -> Void)? = nil
    ) {
        guard loop.inEventLoop else {
            loop.execute { self.respond(status: status, headers: headers, body: body, completion: completion) }
            return
        }
        guard !responseStarted else { completion?(.alreadyResponded); return }
        guard let connection else { completion?(.connectionClosed); return }
        responseStarted = true
        connection.send(self, status: status, headers: headers, body: body, completion: completion)
    }

    /// Answers at once with `body` copied right behind the head into the one buffer that is
    /// written (loop thread only): `respond(status:headers:body: .bytes(...))` without the
    /// intermediate array, for a body that sits in a temporary buffer. Returns false, sending
    /// nothing, if the request was answered already or the connection is gone.
    @discardableResult
    public func respond(status: HTTPStatus, headers: HTTPHeaders, copying body: UnsafeRawBufferPointer) -> Bool {
        precondition(loop.inEventLoop, "respond(copying:) off the loop thread")
        guard !responseStarted, let connection else { return false }
        responseStarted = true
        connection.send(self, status: status, headers: headers, copying: body)
        return true
    }

    /// Starts a response whose body the handler pushes piece by piece (chunked transfer coding;
    /// for HTTP/1.0 clients the body ends with the connection). Nil if already answered or the
    /// connection is gone. Loop thread only.
    public func respondStreaming(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponseStream? {
        precondition(loop.inEventLoop, "respondStreaming off the loop thread")
        guard !responseStarted, let connection else { return nil }
        responseStarted = true
        return connection.startStream(self, status: status, headers: headers, length: nil)
    }

    /// Starts a response of exactly `length` body bytes that the handler pushes piece by piece
    /// (`Content-Length` framing: a relay of known size, which caches and HEAD answers want).
    /// For HEAD and statuses without a body only the head is sent, `Content-Length` included.
    /// A body that cannot be completed must end with `HTTPResponseStream.abort()`, which closes
    /// the connection so the client sees a short body rather than a wrong one. Nil if already
    /// answered or the connection is gone. Loop thread only.
    ///
    /// With `holdingHead`, a head announcing a body waits for the first piece and goes out with
    /// it in one write (a relay whose bytes follow at once saves a system call per answer);
    /// `end()` or `abort()` before any piece sends it alone (an abort then closes the
    /// connection, so the client still sees the answer cut short of its `Content-Length`).
    public func respondStreaming(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(),
                                 length: Int, holdingHead: Bool = false) -> HTTPResponseStream? {
        precondition(loop.inEventLoop, "respondStreaming off the loop thread")
        guard !responseStarted, let connection else { return nil }
        responseStarted = true
        return connection.startStream(self, status: status, headers: headers, length: length, holdingHead: holdingHead)
    }

    /// Runs `handler` if the connection closes before this exchange is over. Loop thread only.
    public func onConnectionClose(_ handler: @escaping () -> Void) {
        closeHandlers.append(handler)
    }

    // MARK: called by the connection

    var wantsMoreBody: Bool { onChunk != nil || buffered.count < bufferLimit }
    private var bufferLimit: Int { connection?.configuration.readBufferSize ?? 0 }

    func didReceive(_ chunk: UnsafeRawBufferPointer) {
        bodyBytesReceived += chunk.count
        if let onChunk { onChunk(chunk) } else { buffered.append(contentsOf: chunk) }
    }

    func didEndRequest() {
        requestEnded = true
        if onEnd != nil { finishBody(nil) }
    }

    func failBody(_ error: HTTPError) {
        guard bodyError == nil, !requestEnded else { return }
        bodyError = error
        if onEnd != nil { finishBody(error) }
    }

    func connectionDidClose() {
        connection = nil
        failBody(.connectionClosed)
        let handlers = closeHandlers
        closeHandlers = []
        for h in handlers { h() }
    }

    private func finishBody(_ error: HTTPError?) {
        let end = onEnd
        onEnd = nil
        onChunk = nil
        end?(error)
    }

    private func sendContinueIfExpected() {
        guard head.expectsContinue, !continueSent, !requestEnded, !responseStarted else { return }
        continueSent = true
        connection?.sendInterim(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
    }
}

/// A response body the handler pushes in pieces; see `HTTPServerExchange.respondStreaming`.
public final class HTTPResponseStream {
    private weak var connection: HTTPServerConnection?
    private let exchange: HTTPServerExchange
    private let chunked: Bool
    private let bodyless: Bool
    private var ended = false
    /// The response head, while it waits for the first piece (`holdingHead`).
    private var heldHead: [UInt8]?

    init(connection: HTTPServerConnection, exchange: HTTPServerExchange, chunked: Bool, bodyless: Bool,
         heldHead: [UInt8]? = nil) {
        self.connection = connection
        self.exchange = exchange
        self.chunked = chunked
        self.bodyless = bodyless
        self.heldHead = heldHead
    }

    /// Queues one piece; `completion` runs once it reached the kernel (use it to pace big bodies).
    public func write(_ bytes: [UInt8], completion: ((HTTPError?) -> Void)? = nil) {
        send(count: bytes.count, completion: completion, append: { $0.append(contentsOf: bytes) }, alone: { bytes })
    }

    /// Queues a copy of `bytes` (valid only during the call), copying them once: straight after
    /// a held head, or into the chunk's framing. For relaying bytes out of another connection's
    /// read buffer.
    public func write(copying bytes: UnsafeRawBufferPointer, completion: ((HTTPError?) -> Void)? = nil) {
        send(count: bytes.count, completion: completion, append: { $0.append(contentsOf: bytes) }, alone: { Array(bytes) })
    }

    /// Frames a piece of `count` bytes and queues it: in a chunk, behind the held head
    /// (`append` adds the piece to either), or as it is (`alone` makes the buffer).
    private func send(count: Int, completion: ((HTTPError?) -> Void)?,
                      append: (inout [UInt8]) -> Void, alone: () -> [UInt8]) {
        guard !ended, let connection, count > 0, !bodyless else {
            completion?(ended || connection == nil ? .connectionClosed : nil)
            return
        }
        var framed: [UInt8]
        if chunked {
            framed = []
            framed.reserveCapacity(count + 16)
            framed.append(contentsOf: "\(String(count, radix: 16))\r\n".utf8)
            append(&framed)
            framed.append(contentsOf: "\r\n".utf8)
        } else if var head = heldHead {
            heldHead = nil
            append(&head)
            framed = head
        } else {
            framed = alone()
        }
        connection.writeBody(framed, completion: completion)
    }

    /// Gives up on the body: the connection closes at once (queued bytes are dropped), so the
    /// client cannot mistake a truncated body for a complete one.
    public func abort() {
        guard !ended else { return }
        ended = true
        if let heldHead, let connection {
            self.heldHead = nil
            connection.writeBody(heldHead, completion: nil)
        }
        connection?.tcp.close()
    }

    /// Ends the body; the connection moves on to the next request.
    public func end() {
        guard !ended else { return }
        ended = true
        guard let connection else { return }
        if let heldHead {
            self.heldHead = nil
            connection.writeBody(heldHead, completion: nil)
        }
        if chunked && !bodyless { connection.writeBody(Array("0\r\n\r\n".utf8), completion: nil) }
        connection.responseDidEnd(exchange)
    }
}
