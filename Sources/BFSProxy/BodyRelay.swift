import BFSCore
import BFSHTTP

/// Streams a GET answer's body from the replicas of a needle to the client (DESIGN §7).
///
/// The body is a list of pieces: literal bytes (multipart framing) and byte ranges of the
/// file, each range fetched with one store `GET /get?key=&cookie=&vid=` (with `Range` unless it
/// is the whole file). Replica choice and failover:
///
/// - reads start at a random replica and stay on the one that last worked;
/// - a store that ignores `Range` (Go bfs stores) answers 200 with the whole file: the bytes
///   before the range are skipped and the read is cut once the range is complete;
/// - a connect error, a timeout (`store_head_timeout` for the head, `store_timeout` for the
///   whole answer), a status other than 200/206 or an answer whose framing does
///   not match what metadata promised moves on to the next replica (`replica_failovers`), from
///   the byte the client has already got, so a replica dying mid-body costs no restart;
/// - an attempt that delivered bytes before failing does not count against the replicas (a
///   slow reader can outlast `store_timeout`; the relay then resumes, bounded by progress);
/// - when every replica failed for a piece without progress, the answer is 404 (all said 404), 504 (a timeout)
///   or 502 if nothing was sent yet, else the connection is closed (the client sees a short
///   body, never a wrong one);
/// - a 404 before anything was sent, for a lookup that came from the cache, calls `onStale`
///   instead: the caller refetches from the directory once (an overwrite or delete through
///   another proxy).
///
/// The response head goes out when the first replica answers well, so failover and the stale
/// refetch happen before the client has seen anything. Backpressure: while more than
/// `highWater` bytes wait in the client socket's queue the store read is paused (TCP then slows
/// the store), and it resumes below `lowWater`; memory per download stays bounded.
/// Loop thread only.
final class BodyRelay {
    /// A piece of the body.
    enum Piece {
        /// Bytes the proxy writes itself.
        case bytes([UInt8])
        /// Inclusive positions of the file, fetched from a store.
        case range(ClosedRange<Int64>)
    }

    /// Queued bytes above which the store read pauses.
    static let highWater = 256 * 1024
    /// Queued bytes below which it resumes.
    static let lowWater = 64 * 1024
    /// Files up to this size are read from a store with a pipelinable request: below
    /// `highWater`, so the read is never paused while other reads wait behind it.
    static let pipelinedMaxLength: Int64 = 64 * 1024

    private let exchange: ProxyExchange
    private let record: FileRecord
    private let length: Int64
    private let pieces: [Piece]
    private let begin: () -> HTTPResponseStream?
    private let onStale: (() -> Void)?
    private let client: HTTPClient
    private let headTimeout: UInt64

    private var stream: HTTPResponseStream?
    private var early: [[UInt8]] = []
    private var pieceIndex = 0
    private var replica: Int
    private var failuresThisPiece = 0
    private var deliveredThisPiece: Int64 = 0
    private var deliveredBeforeAttempt: Int64 = 0
    private var task: HTTPClientTask?
    private var queued = 0
    private var paused = false
    private var finished = false
    private var sawTimeout = false
    private var allNotFound = true

    /// A relay of `pieces` of the file `record` (full length `length`).
    ///
    /// - Parameters:
    ///   - begin: sends the response head and returns the body stream (nil if the client left).
    ///   - onStale: called instead of answering when a replica says 404 before anything was sent.
    init(exchange: ProxyExchange, record: FileRecord, length: Int64, pieces: [Piece],
         begin: @escaping () -> HTTPResponseStream?, onStale: (() -> Void)?) {
        self.exchange = exchange
        self.record = record
        self.length = length
        self.pieces = pieces
        self.begin = begin
        self.onStale = onStale
        client = exchange.context.storeHTTPClient(on: exchange.loop)
        headTimeout = UInt64(exchange.context.settings.storeHeadTimeout.wholeMilliseconds)
        replica = exchange.context.replicaStart(max(1, record.stores.count))
    }

    /// Starts relaying.
    func start() {
        // Weak: the exchange keeps its close handlers until the connection closes, which on a
        // keep-alive connection is long after this relay is done.
        exchange.raw.onConnectionClose { [weak self] in
            guard let self else { return }
            finished = true
            task?.cancel()
        }
        next()
    }

    /// Runs the next piece, or ends the body.
    private func next() {
        guard !finished else { return }
        while pieceIndex < pieces.count, case .bytes(let bytes) = pieces[pieceIndex] {
            // Before the head is out (multipart's first part head) the bytes wait for it.
            if stream != nil { write(bytes) } else { early.append(bytes) }
            pieceIndex += 1
        }
        guard pieceIndex < pieces.count else {
            finished = true
            stream?.end()
            return
        }
        if case .range(let range) = pieces[pieceIndex] {
            failuresThisPiece = 0
            deliveredThisPiece = 0
            fetch(range)
        }
    }

    /// The store read in flight: what it asked for and what its answer has shown so far. Kept
    /// in the relay (one read at a time) so the read's callbacks capture nothing but the relay.
    private struct Attempt {
        /// The piece being fetched, its first byte this time, and whether that is the whole file.
        var range: ClosedRange<Int64>
        var first: Int64
        var whole: Bool
        /// The answer's status, and whether its framing is the one asked for.
        var status = 0
        var good = false
        /// A store without Range support (Go bfs) answers 200 with the whole file: its bytes
        /// before the range are skipped and the read ends once the range is complete.
        var trimming = false
        var skip: Int64 = 0

        var expected: Int64 { range.upperBound - first + 1 }
        var rangeCount: Int64 { range.upperBound - range.lowerBound + 1 }
    }

    private var attempt = Attempt(range: 0...0, first: 0, whole: false)

    /// One store request for what is left of `range`.
    private func fetch(_ range: ClosedRange<Int64>) {
        let store = record.stores[replica % record.stores.count]
        guard let address = HostPort(store) else { return failed(range, notFound: false, timeout: false) }
        let first = range.lowerBound + deliveredThisPiece
        deliveredBeforeAttempt = deliveredThisPiece
        let whole = first == 0 && range.upperBound == length - 1
        attempt = Attempt(range: range, first: first, whole: whole)
        var headers: [FormFields.Pair] = []
        if !whole { headers.append(.init(name: "Range", value: "bytes=\(first)-\(range.upperBound)")) }
        var request = HTTPClientRequest(method: "GET", host: address.host, port: address.port,
                                        target: "/get?key=\(record.key)&cookie=\(record.cookie)&vid=\(record.vid)", headers: headers)
        request.headTimeout = headTimeout
        // A small file's answer is read at once, never paused for a slow client: it may share a
        // store connection with other reads (a large one could hold up the reads behind it).
        request.allowsPipelining = length <= Self.pipelinedMaxLength
        task = client.execute(request, onHead: { [self] head in didReceiveHead(head) },
                              onBody: { [self] bytes throws(HTTPClientError) in try didReceive(bytes) },
                              completion: { [self] result in didComplete(result) })
        // The client is still behind from an earlier attempt: this one starts paused too.
        if paused { task?.pauseReading() }
    }

    private func didReceiveHead(_ head: HTTPClientResponseHead) {
        attempt.status = head.status.code
        attempt.good = Self.framingMatches(head, whole: attempt.whole, first: attempt.first, count: attempt.expected)
        if !attempt.good, !attempt.whole, Self.framingMatches(head, whole: true, first: 0, count: length) {
            attempt.good = true
            attempt.trimming = true
            attempt.skip = attempt.first
        }
        guard attempt.good, !finished else { return }
        if stream == nil {
            guard let started = begin() else { return finish() }
            stream = started
            for bytes in early { write(bytes) }
            early = []
        }
    }

    private func didReceive(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) {
        guard attempt.good, !finished else { return }
        exchange.context.metrics.storeReadBytes.increment(by: Int64(bytes.count))
        let rangeCount = attempt.rangeCount
        var piece = bytes[...]
        if attempt.trimming {
            let dropped = Int(min(attempt.skip, Int64(piece.count)))
            piece = piece.dropFirst(dropped)
            attempt.skip -= Int64(dropped)
            piece = piece.prefix(Int(min(Int64(piece.count), rangeCount - deliveredThisPiece)))
        }
        guard Int64(piece.count) <= rangeCount - deliveredThisPiece else {
            throw .malformedResponse("longer than the range asked for")
        }
        deliveredThisPiece += Int64(piece.count)
        write(copying: UnsafeRawBufferPointer(rebasing: piece))
        // The rest of the file is not wanted: end this read (the piece is complete).
        if attempt.trimming && deliveredThisPiece == rangeCount && attempt.range.upperBound < length - 1 { throw .cancelled }
    }

    private func didComplete(_ result: Result<HTTPClientResponseHead, HTTPClientError>) {
        task = nil
        guard !finished else { return }
        let range = attempt.range
        switch result {
        case _ where attempt.good && deliveredThisPiece == attempt.rangeCount:
            pieceIndex += 1
            next()
        case .success:
            exchange.context.metrics.storeErrors.increment()
            failed(range, notFound: attempt.status == 404, timeout: false)
        case .failure(let error):
            exchange.context.metrics.storeErrors.increment()
            failed(range, notFound: false, timeout: error == .requestTimeout || error == .connectTimeout)
        }
    }

    /// A replica did not deliver `range`: the next one, the stale refetch, or the end.
    private func failed(_ range: ClosedRange<Int64>, notFound: Bool, timeout: Bool) {
        allNotFound = allNotFound && notFound
        sawTimeout = sawTimeout || timeout
        if notFound, stream == nil, let onStale {
            finished = true
            return onStale()
        }
        // An attempt that moved the body forward (then died, or ran out of store_timeout behind a
        // slow reader) is no strike against the replicas: progress bounds the retries.
        failuresThisPiece = deliveredThisPiece > deliveredBeforeAttempt ? 0 : failuresThisPiece + 1
        guard failuresThisPiece < record.stores.count else {
            finished = true
            if let stream { return stream.abort() }
            let failure = allNotFound ? ProxyFailure(.notFound, "file not found on any replica", code: Ret.needleNotExist.rawValue)
                : sawTimeout ? ProxyFailure(.gatewayTimeout, "every replica timed out")
                : ProxyFailure(.badGateway, "no replica could serve the file")
            return exchange.fail(failure)
        }
        exchange.context.metrics.replicaFailovers.increment()
        replica += 1
        fetch(range)
    }

    /// Queues bytes for the client, pausing the store read while too much waits.
    private func write(_ bytes: [UInt8]) {
        guard let stream, !bytes.isEmpty else { return }
        queued += bytes.count
        stream.write(bytes, completion: written(bytes.count))
        pauseIfBehind()
    }

    /// Queues a copy of bytes from the store's read buffer (one copy, straight into the answer).
    private func write(copying bytes: UnsafeRawBufferPointer) {
        guard let stream, !bytes.isEmpty else { return }
        queued += bytes.count
        stream.write(copying: bytes, completion: written(bytes.count))
        pauseIfBehind()
    }

    /// What runs once `count` queued bytes reached the kernel (or failed to).
    private func written(_ count: Int) -> (HTTPError?) -> Void {
        { [self] error in
            queued -= count
            if error != nil {
                finish()
                return
            }
            if paused && queued <= Self.lowWater {
                paused = false
                task?.resumeReading()
            }
        }
    }

    private func pauseIfBehind() {
        if !paused && queued > Self.highWater {
            paused = true
            task?.pauseReading()
        }
    }

    /// The client went away: stop reading the store.
    private func finish() {
        guard !finished else { return }
        finished = true
        task?.cancel()
        stream?.abort()
    }

    /// Whether a store's answer carries exactly the bytes asked for.
    static func framingMatches(_ head: HTTPClientResponseHead, whole: Bool, first: Int64, count: Int64) -> Bool {
        if whole {
            return head.status == .ok && head.header("Content-Length").flatMap { Int64($0) } == count
        }
        guard head.status == .partialContent, let range = head.header("Content-Range") else { return false }
        // "bytes a-b/len"
        let spec = range.drop { $0 != " " }.dropFirst().prefix { $0 != "/" }
        let parts = spec.split(separator: "-")
        guard parts.count == 2, let a = Int64(parts[0]), let b = Int64(parts[1]) else { return false }
        return a == first && b - a + 1 == count
    }
}
