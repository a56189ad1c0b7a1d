import BFSCore
import BFSHTTP
import BFSMetadata

/// `GET|HEAD /<prefix>/<bucket>/<filename>` (DESIGN §7): an origin done right.
///
/// 1. The bucket gate (404 unknown bucket, 401 unless public-read or a good token).
/// 2. The lookup: the metadata cache, else the directory's `/get` (404 on ret 5001; a missing
///    name is remembered `missing_ttl`, so floods of missing names do not reach the directory).
/// 3. The length: metadata's `size`. Rows written through bfs's plain `/upload` have size 0
///    (unknown); for those one `HEAD /get` to a replica gives it (with failover), and the cache
///    entry keeps it, so only the first read after each lookup pays for it (a 304 or 412 the
///    validators settle pays nothing).
/// 4. `ConditionalAnswer` and `ResponseHead` decide everything RFC 9110 asks (validators,
///    preconditions, ranges, caching); HEAD, 304, 412 and 416 are answered here, with no store
///    request.
/// 5. Otherwise `BodyRelay` streams the body from a replica. multipart/byteranges fetches each
///    range with its own store request (the ranges are few and already coalesced, so no byte is
///    fetched that the client did not ask for).
/// 6. A replica's 404 for a cached lookup drops the cache entry and starts again at step 2 once.
struct ReadHandler {
    let context: ProxyContext

    func handle(_ ex: ProxyExchange, path: ProxyPath, query: FormFields) {
        RequestGate(context: context).admit(ex, path: path, signedMethod: ex.head.method, signedFilename: path.filename,
                                            query: query) { bucket in
            lookup(ex, bucket: bucket, path: path, cacheAllowed: true)
        }
    }

    private func lookup(_ ex: ProxyExchange, bucket: Bucket, path: ProxyPath, cacheAllowed: Bool) {
        let ticket = context.files.ticket()
        if cacheAllowed, let cached = context.files.value(bucket: path.bucket, filename: path.filename) {
            context.metrics.metadataCacheHits.increment()
            guard let record = cached else { return ex.fail(Self.missing) }
            return measure(ex, bucket: bucket, path: path, record: record, cached: true, ticket: ticket)
        }
        context.metrics.metadataCacheMisses.increment()
        context.directory(on: ex.loop).lookup(bucket: path.bucket, filename: path.filename) { [context] result in
            switch result {
            case .failure(let failure):
                ex.fail(failure)
            case .success(nil):
                if context.missingFileTTL > 0 {
                    context.files.insert(nil, bucket: path.bucket, filename: path.filename, ticket: ticket,
                                         timeToLive: context.missingFileTTL)
                }
                ex.fail(Self.missing)
            case .success(let record?):
                context.files.insert(record, bucket: path.bucket, filename: path.filename, ticket: ticket)
                measure(ex, bucket: bucket, path: path, record: record, cached: false, ticket: ticket)
            }
        }
    }

    /// Step 3, then the answer.
    private func measure(_ ex: ProxyExchange, bucket: Bucket, path: ProxyPath, record: FileRecord, cached: Bool,
                         ticket: MetadataCache<FileRecord?>.Ticket) {
        let stale: (() -> Void)? = cached ? {
            context.files.invalidate(bucket: path.bucket, filename: path.filename)
            lookup(ex, bucket: bucket, path: path, cacheAllowed: false)
        } : nil
        guard record.size <= 0 else {
            return answer(ex, bucket: bucket, record: record, length: record.size, onStale: stale)
        }
        // Validators alone settle a 304 or 412 (the length only matters to Range, step 6), so a
        // revalidation costs no store request even here.
        let settled = ConditionalAnswer.evaluate(method: .head, headers: ex.head.headers, representation:
            Representation(sha1: record.sha1, length: 0, lastModified: record.mtime / 1_000_000_000), now: context.now())
        if settled == .notModified || settled == .preconditionFailed {
            return answer(ex, bucket: bucket, record: record, length: 0, onStale: stale)
        }
        StoreLengthProbe(exchange: ex, record: record).run { result in
            switch result {
            case .success(let length):
                // Remember it, so later reads of this row need no probe while it is cached.
                var known = record
                known.size = length
                context.files.insert(known, bucket: path.bucket, filename: path.filename, ticket: ticket)
                answer(ex, bucket: bucket, record: known, length: length, onStale: stale)
            case .failure(let failure):
                if failure.status == .notFound, let stale { return stale() }
                ex.fail(failure)
            }
        }
    }

    private static let missing = ProxyFailure(.notFound, "file not found", code: Ret.needleNotExist.rawValue)

    /// Steps 4 and 5.
    private func answer(_ ex: ProxyExchange, bucket: Bucket, record: FileRecord, length: Int64, onStale: (() -> Void)?) {
        let now = context.now()
        let representation = Representation(sha1: record.sha1, length: length, lastModified: record.mtime / 1_000_000_000,
                                             contentType: Self.contentType(record.mime))
        let answer = ConditionalAnswer.evaluate(method: ex.head.method, headers: ex.head.headers,
                                                representation: representation, now: now)
        var head = ResponseHead(answer: answer, representation: representation, cachePolicy: CachePolicy(bucketValue: bucket.cachePolicy),
                                readPrivate: !bucket.flags.contains(.publicRead), now: now)
        // The server writes Content-Length from the framing it is given (removed in place: the
        // head's own copy is the only one).
        head.headers.remove(name: "Content-Length")
        let headers = head.headers
        let pieces: [BodyRelay.Piece]
        let bodyLength: Int64
        switch answer {
        case .notModified, .preconditionFailed, .rangeNotSatisfiable:
            return ex.respond(status: head.status, headers: headers)
        case .proceed:
            bodyLength = length
            pieces = length > 0 ? [.range(0...(length - 1))] : []
        case .partial(let range):
            bodyLength = range.upperBound - range.lowerBound + 1
            pieces = [.range(range)]
        case .multipart(let ranges):
            let format = head.byteRanges!
            bodyLength = format.contentLength
            var list: [BodyRelay.Piece] = []
            for (index, range) in ranges.enumerated() {
                list.append(.bytes(format.partHead(index)))
                list.append(.range(range))
            }
            list.append(.bytes(format.trailer))
            pieces = list
        }
        let begin = { ex.respondStreaming(status: head.status, headers: headers, length: Int(bodyLength)) }
        guard ex.head.method == .get, !pieces.isEmpty else {
            begin()?.end()
            return
        }
        BodyRelay(exchange: ex, record: record, length: length, pieces: pieces, begin: begin, onStale: onStale).start()
    }
}

extension ReadHandler {
    /// The stored MIME type as a `Content-Type` value, or nil when it is empty or no valid field
    /// value (a control byte other than HTAB). A PUT's type passed the request parser, but rows
    /// written through the directory's internal API may hold any text, and a CR/LF would split
    /// the answer (and a multipart part head) into fields of the writer's choosing.
    static func contentType(_ mime: String) -> String? {
        guard !mime.isEmpty, !mime.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else { return nil }
        return mime
    }
}

/// The length of a file whose metadata does not know it (rows of bfs's plain `/upload`): a
/// `HEAD /get` to each replica in turn until one answers 200 with `Content-Length`.
struct StoreLengthProbe {
    let exchange: ProxyExchange
    let record: FileRecord

    func run(_ done: @escaping (Result<Int64, ProxyFailure>) -> Void) {
        attempt(0, start: exchange.context.replicaStart(max(1, record.stores.count)), notFound: true, done)
    }

    private func attempt(_ tried: Int, start: Int, notFound: Bool, _ done: @escaping (Result<Int64, ProxyFailure>) -> Void) {
        guard tried < record.stores.count else {
            return done(.failure(notFound ? ProxyFailure(.notFound, "file not found on any replica", code: Ret.needleNotExist.rawValue)
                                          : ProxyFailure(.badGateway, "no replica could tell the file's length")))
        }
        let store = record.stores[(start + tried) % record.stores.count]
        guard let address = HostPort(store) else { return attempt(tried + 1, start: start, notFound: false, done) }
        let context = exchange.context
        var request = HTTPClientRequest(method: "HEAD", host: address.host, port: address.port,
                                        target: "/get?key=\(record.key)&cookie=\(record.cookie)&vid=\(record.vid)")
        request.headTimeout = UInt64(context.settings.storeHeadTimeout.wholeMilliseconds)
        context.storeHTTPClient(on: exchange.loop).execute(request, maxBodySize: 0) { result in
            if case .success(let response) = result, response.status == .ok,
               let length = response.head.header("Content-Length").flatMap({ Int64($0) }) {
                return done(.success(length))
            }
            context.metrics.storeErrors.increment()
            if tried + 1 < record.stores.count { context.metrics.replicaFailovers.increment() }
            let said404 = if case .success(let response) = result { response.status == .notFound } else { false }
            attempt(tried + 1, start: start, notFound: notFound && said404, done)
        }
    }
}
