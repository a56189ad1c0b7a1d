import BFSLoop

/// A keep-alive TCP connection of ``HTTPClient`` to one `host:port`.
///
/// Busy with one exchange, or idle in the client's pool. While idle it keeps reading, so a
/// server closing it is noticed and the pool drops it at once.
///
/// Pipelining (`Configuration.maxPipelineDepth` > 1): GETs and HEADs made in the same loop
/// iteration to the same server may queue behind the exchange in flight (`followers`), so
/// their requests leave in one write and their answers, in order, often arrive in one read.
/// Only requests that can be sent again join; if the connection breaks, or the server closes
/// it after an answer, the ones still waiting are sent again once on a fresh connection.
final class HTTPClientConnection {
    let key: String
    let tcp: TCPConnection
    /// Weak: a client dropped without `close()` must not be reached from a late close callback.
    weak var client: HTTPClient?
    let configuration: HTTPClient.Configuration
    var exchange: HTTPClientExchange?
    /// Requests written behind `exchange` (pipelined), answered in this order.
    var followers: [HTTPClientExchange] = []
    private var parser: HTTPClientResponseParser
    /// Whether the connection already completed an exchange (so it may be stale).
    var wasReused = false
    private var receivedBytes = false
    /// Request writes not yet handed to the kernel; a connection is pooled only at zero, or
    /// the rest of an early-answered request body would run into the next request.
    var pendingWrites = 0
    /// The loop time (ms) the connection went idle.
    var idleSince: UInt64 = 0
    /// Whether the current request's streamed body (if any) has been sent whole; a connection
    /// whose answer came before that is closed, not pooled.
    private var bodySent = true
    /// The timeout of the exchange in flight: one timer per connection, re-armed for each
    /// exchange (made on first use, closed with the connection).
    private var timer: LoopTimer?

    /// Largest in-memory body copied behind the head into one write; bigger ones are queued
    /// chunk by chunk as they are (no copy of a large body).
    static let gatherLimit = 64 * 1024

    init(key: String, tcp: TCPConnection, client: HTTPClient) {
        self.key = key
        self.tcp = tcp
        self.client = client
        configuration = client.configuration
        tcp.coalescesWrites = configuration.coalescesWrites
        parser = HTTPClientResponseParser(maxHeadSize: configuration.maxResponseHeadSize,
                                          isHeadRequest: false)
        tcp.onClose = { [self] in
            timer?.close()
            self.client?.connectionDidClose(self)
            fail(.connectionClosed)
        }
    }

    /// Starts reading; throws if the socket is already unusable.
    func startReading() throws(UVError) {
        try tcp.startReading { [self] event in didRead(event) }
    }

    /// Makes `exchange` the one whose answer is read next, and arms its timeout.
    func begin(_ exchange: HTTPClientExchange) {
        self.exchange = exchange
        exchange.connection = self
        if exchange.isPaused { tcp.stopReading() }
        parser = HTTPClientResponseParser(maxHeadSize: configuration.maxResponseHeadSize,
                                          isHeadRequest: exchange.request.method == "HEAD")
        receivedBytes = false
        armTimer(exchange, after: exchange.request.headTimeout ?? configuration.requestTimeout)
    }

    /// Sends `exchange`'s request and arms its timeout.
    func send(_ exchange: HTTPClientExchange, head: [UInt8]) {
        begin(exchange)
        // Made only for writes that are queued (the common small request needs none).
        func onWritten() -> (UVError?) -> Void {
            { [weak self, weak exchange] error in
                guard let self else { return }
                pendingWrites -= 1
                guard let error, let exchange, self.exchange === exchange else { return }
                lost(.transport(error))
            }
        }
        let bodySize = exchange.request.body.reduce(0) { $0 + $1.count }
        if bodySize <= Self.gatherLimit {
            // One buffer, one system call in the common case: a small request goes out whole
            // from here, and only what the socket did not take is queued (a copy).
            var bytes = head
            if bodySize > 0 {
                bytes.reserveCapacity(head.count + bodySize)
                for chunk in exchange.request.body { bytes.append(contentsOf: chunk) }
            }
            let written = tcp.writeQueueSize == 0 ? ((try? bytes.withUnsafeBytes { try tcp.tryWrite($0) }) ?? 0) : 0
            if written < bytes.count {
                pendingWrites += 1
                bytes.withUnsafeBytes { tcp.write(UnsafeRawBufferPointer(rebasing: $0[written...]), completion: onWritten()) }
            }
        } else {
            pendingWrites += 1 + exchange.request.body.count { !$0.isEmpty }
            tcp.write(head, completion: onWritten())
            for chunk in exchange.request.body where !chunk.isEmpty {
                chunk.withUnsafeBytes { tcp.write($0, completion: onWritten()) }
            }
        }
        bodySent = exchange.request.bodySource == nil
        if let source = exchange.request.bodySource { pump(source, sent: 0, for: exchange) }
    }

    /// Sends the next piece of a streamed body once the previous one reached the kernel, so one
    /// piece at a time is in memory and a slow server slows the source down.
    private func pump(_ source: any HTTPClientBodySource, sent: Int, for exchange: HTTPClientExchange) {
        source.next(on: tcp.loop) { [weak self, weak exchange] result in
            // The answer may have come (or the request failed) while the piece was produced.
            guard let self, let exchange, self.exchange === exchange else { return }
            switch result {
            case .failure(let error):
                fail(error)
            case .success(let bytes) where bytes.isEmpty:
                guard sent == source.length else {
                    return fail(.bodySourceFailed("body ended after \(sent) of \(source.length) bytes"))
                }
                bodySent = true
            case .success(let bytes):
                let total = sent + bytes.count
                guard total <= source.length else {
                    return fail(.bodySourceFailed("body longer than its \(source.length) bytes"))
                }
                pendingWrites += 1
                tcp.write(bytes) { [weak self, weak exchange] error in
                    guard let self else { return }
                    pendingWrites -= 1
                    guard let exchange, self.exchange === exchange else { return }
                    if let error { return lost(.transport(error)) }
                    pump(source, sent: total, for: exchange)
                }
            }
        }
    }

    /// (Re)starts the exchange's timeout.
    private func armTimer(_ exchange: HTTPClientExchange, after milliseconds: UInt64) {
        let timer = self.timer ?? tcp.loop.makeTimer { [weak self] in
            guard let self, self.exchange != nil else { return }
            self.fail(.requestTimeout)
        }
        self.timer = timer
        exchange.timer = timer
        timer.start(after: milliseconds)
    }

    private func didRead(_ event: TCPReadEvent) {
        guard let exchange else {
            // Idle: the server closed or said something unasked; either way it is done.
            close()
            return
        }
        switch event {
        case .data(let bytes):
            receivedBytes = true
            var rest = bytes
            var current = exchange
            do {
                while true {
                    let used = try parser.feed(rest) { try deliver($0, to: current) }
                    rest = UnsafeRawBufferPointer(rebasing: rest[used...])
                    guard parser.isComplete else { return }
                    guard !followers.isEmpty else { return finish(current, leftover: !rest.isEmpty) }
                    // The next answer may follow in the same bytes.
                    guard advance(past: current), let next = self.exchange else { return }
                    current = next
                    receivedBytes = !rest.isEmpty
                    if rest.isEmpty { return }
                }
            } catch {
                fail(error as? HTTPClientError ?? .malformedResponse("\(error)"))
            }
        case .end:
            do {
                try parser.finishAtEndOfStream { try deliver($0, to: exchange) }
                finish(exchange, leftover: true)
            } catch {
                lost(.connectionClosed)
            }
        case .error(let error):
            lost(.transport(error))
        }
    }

    private func deliver(_ event: HTTPClientResponseParser.Event, to exchange: HTTPClientExchange) throws {
        if case .head(let head) = event { exchange.head = head }
        // A follower cancelled while it waited: its answer is read and dropped.
        guard exchange.isPending else { return }
        switch event {
        case .head(let head):
            if exchange.request.headTimeout != nil { armTimer(exchange, after: configuration.requestTimeout) }
            exchange.onHead(head)
        case .body(let bytes):
            try exchange.onBody(bytes)
        case .end:
            break
        }
    }

    /// The response is complete: pool the connection if HTTP allows it, then report.
    private func finish(_ exchange: HTTPClientExchange, leftover: Bool) {
        self.exchange = nil
        wasReused = true
        // An idle connection must read, to notice the server closing it.
        if exchange.isPaused { tcp.resumeReading() }
        let head = exchange.head!
        let requestSaidClose = Self.saysClose(exchange.request)
        if !leftover && head.allowsKeepAlive && !requestSaidClose && pendingWrites == 0 && bodySent,
           !tcp.isClosed, let client
        {
            client.connectionDidBecomeIdle(self)
        } else {
            close()
        }
        exchange.complete(.success(head))
    }

    /// The connection broke. A request that got no answer on a reused connection is most
    /// likely a race with the server's idle close; an idempotent one is sent again once.
    func lost(_ error: HTTPClientError) {
        guard let exchange else { return }
        if wasReused && !receivedBytes && exchange.request.canResend && !exchange.retried {
            self.exchange = nil
            exchange.timer?.stop()
            exchange.timer = nil
            exchange.retried = true
            let behind = followers
            followers = []
            close()
            if let client {
                client.retry(exchange)
            } else {
                exchange.complete(.failure(.clientClosed))
            }
            resend(behind, after: error)
            return
        }
        fail(error)
    }

    /// Ends the current exchange with `error` and closes the connection; requests waiting
    /// behind it are sent again once elsewhere, except after a timeout: a server that stopped
    /// answering fails them too (with the same error), so their callers try another server
    /// instead of waiting out a second timeout on this one.
    func fail(_ error: HTTPClientError) {
        let current = exchange
        exchange = nil
        let behind = followers
        followers = []
        guard current != nil || !behind.isEmpty else { return }
        close()
        current?.complete(.failure(error))
        switch error {
        case .requestTimeout:
            for waiting in behind where waiting.isPending { waiting.complete(.failure(error)) }
        case .clientClosed:
            resend(behind, after: .clientClosed)
        default:
            resend(behind, after: .connectionClosed)
        }
    }

    /// Closes the socket (idempotent); the client forgets it in the close callback.
    func close() {
        timer?.close()
        tcp.close()
    }
}
