import BFSLoop

/// One accepted HTTP/1.1 connection: parsing, keep-alive, pipelining, limits and timeouts.
///
/// Requests are handled one at a time. The parser pauses at the end of each request; bytes of a
/// pipelined next request wait in `pending` (and reading stops) until the current answer has
/// been queued, so answers go out in request order. A request whose body nobody consumes yet is
/// buffered up to one read buffer, then reading stops too: backpressure instead of memory.
/// Loop thread only; the loop context keeps the connection alive until the socket has closed.
final class HTTPServerConnection: HTTPRequestParserDelegate {
    enum Phase {
        /// Between requests (idle timeout).
        case idle
        /// Inside a request head (header timeout, counted from its first byte).
        case head
        /// Inside a request body (body timeout between pieces).
        case body
        /// The request has ended; waiting for the answer.
        case handling
        /// An error answer is out; unread input is discarded until EOF or the linger timeout.
        case lingering
        /// The socket is closed.
        case closed
    }

    let tcp: TCPConnection
    let context: HTTPServerLoopContext
    var loop: EventLoop { context.loop }
    var configuration: HTTPServerConfiguration { context.configuration }
    private let parser: HTTPRequestParser
    private var timer: LoopTimer?
    private(set) var phase = Phase.idle
    var exchange: HTTPServerExchange?
    private var pending: [UInt8] = []
    private var parsing = false
    private var inputStopped = false
    private var peerClosed = false
    private var shutdownDone = false
    /// Close after the current answer (server draining).
    var closeAfterResponse = false
    var waitingForWritable = false
    var sendWaiting = false
    var fileSender: FileRangeSender?

    init(tcp: TCPConnection, context: HTTPServerLoopContext) {
        self.tcp = tcp
        self.context = context
        tcp.coalescesWrites = context.configuration.coalescesWrites
        parser = HTTPRequestParser(maxHeaderBytes: context.configuration.maxHeaderBytes)
        parser.delegate = self
        timer = context.loop.makeTimer { [weak self] in self?.didTimeOut() }
        // Both closures hold the connection; TCPConnection drops them once the socket has closed.
        tcp.onClose = { self.didClose() }
        do {
            try tcp.startReading { event in self.didRead(event) }
        } catch {
            tcp.close()
        }
        rearm()
    }

    // MARK: input

    private func didRead(_ event: TCPReadEvent) {
        switch event {
        case .data(let bytes):
            if phase == .lingering { return }  // discarding after an error answer
            consume(bytes)
        case .end:
            peerClosed = true
            stopInput()
            if phase == .lingering {
                if shutdownDone { tcp.close() }
                return
            }
            // A complete request is being answered, or pipelined ones wait: answer them first;
            // finishing the last exchange closes the connection.
            if exchange?.requestEnded == true || (exchange == nil && !pending.isEmpty) { return }
            // Nothing complete to answer. An earlier answer may still be queued, so hang up
            // gracefully rather than cancel it.
            exchange?.failBody(.connectionClosed)
            lingerClose()
        case .error:
            tcp.close()
        }
    }

    /// Feeds bytes to the parser until they are used up or the connection must wait.
    private func consume(_ bytes: UnsafeRawBufferPointer) {
        parsing = true
        defer { parsing = false }
        var rest = bytes
        while !rest.isEmpty {
            if phase == .lingering || phase == .closed { return }
            if isBlocked {
                pending.append(contentsOf: rest)
                stopInput()
                return
            }
            if phase == .idle {
                phase = .head
                rearm()
            }
            switch parser.feed(rest) {
            case .consumedAll:
                return
            case .paused(let n):
                rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            case .failed(let failure):
                switch failure {
                case .headerTooLarge: reject(.requestHeaderFieldsTooLarge)
                case .unknownMethod: reject(.notImplemented)
                case .malformed: reject(.badRequest)
                }
                return
            }
        }
    }

    /// Whether parsing must wait (answer outstanding, unconsumed body, full write queue).
    private var isBlocked: Bool {
        if waitingForWritable { return true }
        guard let exchange else { return false }
        return exchange.requestEnded || !exchange.wantsMoreBody
    }

    private func stopInput() {
        guard !inputStopped else { return }
        inputStopped = true
        tcp.stopReading()
    }

    /// Parses what waits in `pending`, then reads again unless still blocked.
    func drainPending() {
        if !pending.isEmpty && !isBlocked {
            let bytes = pending
            pending = []
            bytes.withUnsafeBytes { consume($0) }
        }
        guard phase != .closed, phase != .lingering else { return }
        if peerClosed {
            if exchange == nil && pending.isEmpty { lingerClose() }
            return
        }
        if inputStopped && !isBlocked {
            inputStopped = false
            tcp.resumeReading()
        }
    }

    func bodyConsumerAttached() {
        if !parsing { drainPending() }
    }

    // MARK: parser events

    func parserDidReceiveHead(_ head: HTTPRequestHead) {
        phase = .body
        rearm()
        if head.versionMajor != 1 { return reject(.httpVersionNotSupported) }
        if let n = head.contentLength, n > configuration.maxBodyBytes { return reject(.contentTooLarge) }
        let ex = HTTPServerExchange(head: head, connection: self)
        exchange = ex
        if context.draining || closeAfterResponse { ex.closeAfter = true }
        switch context.router.resolve(head.method, head.path) {
        case .handler(let handler):
            handler(ex)
        case .methodNotAllowed(let allowed):
            ex.respond(status: .methodNotAllowed, headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")],
                       body: .bytes(Array("405 Method Not Allowed\n".utf8)))
        case .notFound:
            ex.respond(status: .notFound, body: .bytes(Array("404 Not Found\n".utf8)))
        }
    }

    func parserDidReceiveBody(_ chunk: UnsafeRawBufferPointer) {
        guard let ex = exchange, phase == .body else { return }
        if ex.bodyBytesReceived + chunk.count > configuration.maxBodyBytes {
            ex.failBody(.bodyTooLarge(limit: configuration.maxBodyBytes))
            return reject(.contentTooLarge)
        }
        rearm()
        ex.didReceive(chunk)
        if !ex.wantsMoreBody { parser.pause() }
    }

    func parserDidCompleteMessage() {
        guard let ex = exchange, phase == .body else { return }
        phase = .handling
        rearm()
        ex.didEndRequest()
        finishExchangeIfDone()
    }

    // MARK: lifecycle

    /// Ends the exchange once both the request and its answer are complete, then moves on.
    func finishExchangeIfDone() {
        guard let ex = exchange, ex.responseEnded, ex.requestEnded || ex.closeAfter else { return }
        exchange = nil
        if ex.closeAfter || !ex.requestEnded {
            ex.failBody(.connectionClosed)  // the unread rest of the body is discarded
            return lingerClose()
        }
        if peerClosed && pending.isEmpty {
            return lingerClose()
        }
        phase = .idle
        rearm()
        if tcp.writeQueueSize > configuration.writeHighWaterMark { waitingForWritable = true }
        if !parsing { drainPending() }
    }

    /// Answers with an error status, then closes cleanly (shutdown, drain input, close).
    func reject(_ status: HTTPStatus) {
        guard phase != .lingering, phase != .closed else { return }
        if let ex = exchange {
            switch status {
            case .requestTimeout: ex.failBody(.timeout)
            case .contentTooLarge: ex.failBody(.bodyTooLarge(limit: configuration.maxBodyBytes))
            default: ex.failBody(.connectionClosed)
            }
            exchange = nil
            if ex.responseStarted {
                // The handler answered already (perhaps from the body failure just reported): a
                // second answer would corrupt the stream. Closing now would cancel what is queued,
                // earlier pipelined answers included, so hang up after it instead.
                parser.pause()
                if phase != .lingering && phase != .closed { lingerClose() }
                return
            }
            ex.responseStarted = true
            ex.responseEnded = true
        }
        parser.pause()
        let body = Array("\(status.code) \(status.reason)\n".utf8)
        var bytes = HTTPResponseHeadWriter.make(
            status: status, headers: ["Content-Type": "text/plain"], framing: .length(body.count), close: true,
            keepAliveHeader: false, dateLines: context.dateCache.lines, bodyReserve: body.count)
        bytes.append(contentsOf: body)
        writeBody(bytes, completion: nil)
        lingerClose()
    }

    /// Sends FIN after queued writes, discards input until EOF, closes at the latest after the
    /// linger time, so the peer reads the answer instead of a reset.
    private func lingerClose() {
        phase = .lingering
        pending = []
        rearm()
        tcp.shutdown { [weak self] _ in
            guard let self else { return }
            self.shutdownDone = true
            if self.peerClosed { self.tcp.close() }
        }
        if !peerClosed && inputStopped {
            inputStopped = false
            tcp.resumeReading()
        }
    }

    /// Server stop: idle connections close now; busy ones, including a request whose head is
    /// still arriving, after their current answer (bounded by the timeouts and the drain timeout).
    func drain() {
        closeAfterResponse = true
        exchange?.closeAfter = true
        guard exchange == nil, phase == .idle, pending.isEmpty else { return }
        // An earlier answer may still be queued: only an empty queue may be dropped at once.
        if tcp.writeQueueSize == 0 { tcp.close() } else { lingerClose() }
    }

    /// (Re)starts the one timer for what the connection waits on now: the client reading an
    /// answer (send timeout) or, per phase, the next request, the head, the body, the linger.
    func rearm() {
        guard let timer else { return }
        let c = configuration
        if sendWaiting { return timer.start(after: c.sendTimeoutMilliseconds) }
        switch phase {
        case .idle: timer.start(after: c.idleTimeoutMilliseconds)
        case .head: timer.start(after: c.headerTimeoutMilliseconds)
        case .body: timer.start(after: c.bodyTimeoutMilliseconds)
        case .lingering: timer.start(after: c.lingerMilliseconds)
        case .handling, .closed: timer.stop()  // the handler's time is its own business
        }
    }

    private func didTimeOut() {
        if sendWaiting { return tcp.close() }  // the client stopped reading our answer
        switch phase {
        case .idle, .lingering, .closed: tcp.close()
        case .head: reject(.requestTimeout)
        case .body:
            if let ex = exchange, ex.responseStarted { ex.failBody(.timeout); tcp.close() } else { reject(.requestTimeout) }
        case .handling: break
        }
    }

    private func didClose() {
        phase = .closed
        timer?.close()
        timer = nil
        pending = []
        let ex = exchange
        exchange = nil
        ex?.connectionDidClose()
        context.connectionDidClose(self)
    }
}
