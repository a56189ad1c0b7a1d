import BFSLoop

extension HTTPServerConnection {
    /// Writes one complete answer for `ex` (called by `HTTPServerExchange.respond`).
    func send(
        _ ex: HTTPServerExchange, status: HTTPStatus, headers: HTTPHeaders, body: HTTPResponseBody,
        completion: (@Sendable (HTTPError?) -> Void)?
    ) {
        closeIfBodyUnread(ex)
        let noBody = ex.head.method == .head || HTTPResponseHeadWriter.forbidsBody(status)
        let framing: HTTPResponseHeadWriter.Framing =
            HTTPResponseHeadWriter.forbidsBody(status) ? .none : .length(body.length)
        let inline: [UInt8]? = if case .bytes(let b) = body, !noBody { b } else { nil }
        var bytes = makeHead(ex, status: status, headers: headers, framing: framing, bodyReserve: inline?.count ?? 0)
        if case .file(let fd, let offset, let length) = body, !noBody {
            let sender = FileRangeSender(connection: self, exchange: ex, head: bytes, fd: fd, offset: offset,
                                         length: length, completion: completion)
            fileSender = sender
            sender.pump()
            return
        }
        if let inline { bytes.append(contentsOf: inline) }
        writeBody(bytes, completion: nil)
        completion?(nil)
        responseDidEnd(ex)
    }

    /// Writes one complete answer whose body is copied behind the head into one buffer
    /// (`HTTPServerExchange.respond(status:headers:copying:)`).
    func send(_ ex: HTTPServerExchange, status: HTTPStatus, headers: HTTPHeaders, copying body: UnsafeRawBufferPointer) {
        closeIfBodyUnread(ex)
        let noBody = ex.head.method == .head || HTTPResponseHeadWriter.forbidsBody(status)
        let framing: HTTPResponseHeadWriter.Framing =
            HTTPResponseHeadWriter.forbidsBody(status) ? .none : .length(body.count)
        var bytes = makeHead(ex, status: status, headers: headers, framing: framing, bodyReserve: noBody ? 0 : body.count)
        if !noBody { bytes.append(contentsOf: body) }
        writeBody(bytes, completion: nil)
        responseDidEnd(ex)
    }

    /// A file answer is over (sent, or failed with `error`): the handler's completion runs, then
    /// the connection reads the next request, or closes after a failure.
    func fileSendDidFinish(_ sender: FileRangeSender, exchange ex: HTTPServerExchange, error: HTTPError?,
                           completion: (@Sendable (HTTPError?) -> Void)?) {
        context.sendfileWaits += sender.writableWaits
        if fileSender === sender { fileSender = nil }
        completion?(error)
        if error != nil { tcp.close() } else { responseDidEnd(ex) }
    }

    /// Writes the head of a streamed answer and returns the stream for its body: chunked (or
    /// ended by the close for HTTP/1.0) when `length` is nil, else `Content-Length: length`.
    /// `holdingHead`: a head announcing body bytes goes out with the first piece instead.
    func startStream(_ ex: HTTPServerExchange, status: HTTPStatus, headers: HTTPHeaders, length: Int?,
                     holdingHead: Bool = false) -> HTTPResponseStream {
        closeIfBodyUnread(ex)
        let bodyless = ex.head.method == .head || HTTPResponseHeadWriter.forbidsBody(status)
        let chunked = length == nil && ex.head.versionMinor >= 1
        // HTTP/1.0 has no chunked coding: the body ends when the connection does.
        if length == nil && !chunked && !bodyless { ex.closeAfter = true }
        let framing: HTTPResponseHeadWriter.Framing
        if HTTPResponseHeadWriter.forbidsBody(status) {
            framing = .none
        } else if let length {
            framing = .length(length)
        } else {
            framing = chunked ? .chunked : .none
        }
        let holds = holdingHead && !bodyless && !chunked && (length ?? 0) > 0
        // A held head has room for a small body behind it, so the first piece joins it in place.
        let head = makeHead(ex, status: status, headers: headers, framing: framing,
                            bodyReserve: holds ? Swift.min(length ?? 0, Self.heldBodyReserve) : 0)
        if holds {
            return HTTPResponseStream(connection: self, exchange: ex, chunked: false, bodyless: false, heldHead: head)
        }
        writeBody(head, completion: nil)
        return HTTPResponseStream(connection: self, exchange: ex, chunked: chunked, bodyless: bodyless)
    }

    /// Most body bytes a held head reserves room for (a larger first piece reallocates once).
    static var heldBodyReserve: Int { 64 * 1024 }

    /// Marks the answer complete; the connection then reads the next request (or closes).
    func responseDidEnd(_ ex: HTTPServerExchange) {
        guard exchange === ex else { return }
        ex.responseEnded = true
        finishExchangeIfDone()
    }

    /// Sends `100 Continue` (or another interim head) right away.
    func sendInterim(_ bytes: [UInt8]) {
        writeBody(bytes, completion: nil)
    }

    /// Queues bytes: straight to the socket when nothing is queued, else through libuv.
    func writeBody(_ bytes: [UInt8], completion: ((HTTPError?) -> Void)?) {
        guard !tcp.isClosed else {
            completion?(.connectionClosed)
            return
        }
        var written = 0
        if tcp.writeQueueSize == 0 {
            do {
                written = try bytes.withUnsafeBytes { try tcp.tryWrite($0) }
            } catch {
                tcp.close()
                completion?(.connectionClosed)
                return
            }
        }
        if written == bytes.count {
            completion?(nil)
            return
        }
        let rest = bytes.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[written...]) }
        setSendWaiting(true)
        tcp.write(rest) { [weak self] error in
            completion?(error == nil ? nil : .connectionClosed)
            self?.didFlush()
        }
    }

    private func didFlush() {
        guard phase != .closed else { return }
        if tcp.writeQueueSize == 0 && fileSender == nil { setSendWaiting(false) }
        if waitingForWritable && tcp.writeQueueSize <= configuration.writeHighWaterMark {
            waitingForWritable = false
            drainPending()
        }
    }

    /// While an answer waits for the client to read, the send timeout runs instead of the phase timer.
    func setSendWaiting(_ waiting: Bool) {
        guard waiting != sendWaiting, phase != .closed else { return }
        sendWaiting = waiting
        rearm()
    }

    /// Answering before the request body ended: the rest cannot be skipped reliably, so the
    /// connection closes after the answer.
    private func closeIfBodyUnread(_ ex: HTTPServerExchange) {
        if !ex.requestEnded && ex.head.hasBody { ex.closeAfter = true }
    }

    private func makeHead(
        _ ex: HTTPServerExchange, status: HTTPStatus, headers: HTTPHeaders,
        framing: HTTPResponseHeadWriter.Framing, bodyReserve: Int = 0
    ) -> [UInt8] {
        let close = ex.closeAfter || closeAfterResponse || !ex.head.keepAlive || context.draining
        if close { ex.closeAfter = true }
        return HTTPResponseHeadWriter.make(
            status: status, headers: headers, framing: framing, close: close,
            keepAliveHeader: ex.head.versionMinor == 0, dateLines: context.dateCache.lines, bodyReserve: bodyReserve)
    }
}
