import BFSLoop

/// Pipelining (see ``HTTPClientConnection``): requests written behind the exchange in flight,
/// their answers handed out in order, and what happens to the waiting ones when the
/// connection cannot go on.
extension HTTPClientConnection {
    /// Whether `request` may be written now behind the exchange in flight: pipelining is on,
    /// both can be sent again, the queue is short enough, and this connection's last request
    /// is still held for this loop iteration's write (so they leave together).
    func canTakeFollower(_ request: HTTPClientRequest) -> Bool {
        guard let exchange, followers.count + 1 < configuration.maxPipelineDepth, request.canPipeline,
              exchange.request.canPipeline, pendingWrites == 0, tcp.hasHeldWrites, !tcp.isClosed else { return false }
        return true
    }

    /// Writes `exchange`'s request behind the ones in flight; its answer comes after theirs.
    func sendFollower(_ exchange: HTTPClientExchange, head: [UInt8]) {
        followers.append(exchange)
        exchange.connection = self
        let written = (try? head.withUnsafeBytes { try tcp.tryWrite($0) }) ?? 0
        guard written < head.count else { return }
        pendingWrites += 1
        head.withUnsafeBytes {
            tcp.write(UnsafeRawBufferPointer(rebasing: $0[written...])) { [weak self] error in
                guard let self else { return }
                pendingWrites -= 1
                if let error { lost(.transport(error)) }
            }
        }
    }

    /// Whether `exchange` waits behind the one in flight.
    func isFollower(_ exchange: HTTPClientExchange) -> Bool {
        followers.contains { $0 === exchange }
    }

    /// `done`'s answer is complete and others wait behind it: report `done` and make the next
    /// one current. False when the connection cannot go on: the server closes it after this
    /// answer (the waiting requests are sent again elsewhere), or `done`'s completion failed it.
    func advance(past done: HTTPClientExchange) -> Bool {
        let head = done.head!
        guard head.allowsKeepAlive && !Self.saysClose(done.request) && !tcp.isClosed else {
            exchange = nil
            let behind = followers
            followers = []
            close()
            done.complete(.success(head))
            resend(behind, after: .connectionClosed)
            return false
        }
        wasReused = true
        let next = followers.removeFirst()
        done.timer = nil  // the connection's one timer now runs for `next`
        begin(next)
        if done.isPaused && !next.isPaused { tcp.resumeReading() }
        done.complete(.success(head))
        return exchange === next && !tcp.isClosed
    }

    /// Whether the request asked the server to close after answering.
    static func saysClose(_ request: HTTPClientRequest) -> Bool {
        request.headers.contains {
            HTTPHeaders.sameName($0.name, "connection") && $0.value.lowercased().contains("close")
        }
    }

    /// Sends waiting requests again on other connections (once each), or fails them with
    /// `error` when they were already sent again or the client is gone.
    func resend(_ waiting: [HTTPClientExchange], after error: HTTPClientError) {
        for exchange in waiting where exchange.isPending {
            exchange.timer = nil
            exchange.connection = nil
            if !exchange.retried, let client {
                exchange.retried = true
                client.retry(exchange)
            } else {
                exchange.complete(.failure(error))
            }
        }
    }

    /// Ends a request its caller gave up on: one waiting behind others completes now and its
    /// answer is dropped when it comes; the one in flight closes the connection.
    func cancel(_ exchange: HTTPClientExchange) {
        if isFollower(exchange) {
            exchange.complete(.failure(.cancelled))
        } else if exchange === self.exchange {
            fail(.cancelled)
        }
    }
}
