import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage

/// `GET|HEAD /get?vid&key&cookie`: serves one needle's data (reference/bfs-v1.md §1.9,
/// DESIGN.md §4.5).
///
/// Statuses as bfs: 503 (empty body) when rate limited, 400 for an unparsable parameter, 404 for
/// an absent volume or needle or a deleted needle, 500 for anything else (damage, I/O), with the
/// error text as Go's `http.Error` writes it. Unlike bfs, a wrong cookie answers the 404 of a
/// missing key. Beyond bfs: `Range` (one
/// range: 206/416; several: the whole body with 200) and `Accept-Ranges`.
///
/// The data goes out in one of three ways, all without blocking the loop on the disk:
/// - needles up to `verifiedReadMaxSize` are read whole with a non-waiting `preadv2` and their
///   CRC is checked before the bytes are written (corruption answers 500 instead of bad bytes);
/// - larger needles whose pages are cached go out with `sendfile(2)` from the loop;
/// - on a page-cache miss the read (small) or a warming read (large) runs on the `reads`
///   executor, counted in `metrics.coldReads`.
/// A small needle is looked up in the map and read whole with that one `preadv2`, its header
/// checked from the same bytes (`Volume.lookUp`, `Volume.check`); for a larger one the 21-byte
/// header is probed the same way (`Volume.locateIfCached`). When the page is cold, the lookup
/// itself (`Volume.locate`) runs on the `reads` executor.
///
/// Content type: bfs let Go sniff one from the first 512 bytes; we answer
/// `application/octet-stream` and do not sniff (the proxy knows the real type from metadata).
struct APIGetHandler: Sendable {
    /// The largest needle (total size) read whole and CRC-checked instead of `sendfile`d.
    /// Measured (Bench/store/README.md): at 4 KiB the verified read is ~6% faster than sendfile,
    /// at 8 KiB they tie, at 16 KiB sendfile is ~65% faster (the CRC and the copy dominate).
    static let verifiedReadMaxSize = 8 * 1024

    let context: StoreContext

    func handle(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        if let limit = context.readLimit, !limit.allow(nowNanos: start) {
            context.metrics.record(.get, status: 503, limited: true, elapsedNanos: monotonicNanos() - start)
            return APIReplies.text(ex, status: .serviceUnavailable, message: "")
        }
        guard let p = APIGetParameters.parse(ex.head.query) else {
            return fail(ex, status: .badRequest, message: APIReplies.message(.paramError), start: start)
        }
        let (vid, key, cookie) = (p.vid, p.key, p.cookie)
        guard let entry = LoopVolumeCache.entry(vid, in: context) else {
            return fail(ex, status: .notFound, message: APIReplies.message(.volumeNotExist), start: start)
        }
        let volume = entry.volume
        let cached: NeedleExtent?
        do {
            let span = try volume.lookUp(key: key)
            if span.totalSize <= Self.verifiedReadMaxSize && ex.head.method == .get
                && serveCachedSmall(ex, volume, span, key: key, cookie: cookie, stats: entry, start: start) {
                return
            }
            cached = try volume.locateIfCached(span, key: key, cookie: cookie)
        } catch {
            return failLocating(ex, error, start: start)
        }
        if let cached { return serve(ex, cached, stats: entry, start: start) }
        // The header page is cold: read it on a worker rather than stall the loop on the disk.
        context.metrics.coldReads.increment()
        ex.loop.run(on: context.executors.reads, { try volume.locate(key: key, cookie: cookie) }) { result in
            switch result {
            case .success(let extent):
                serve(ex, extent, stats: entry, start: start)
            case .failure(let error as StorageError):
                failLocating(ex, error, start: start)
            case .failure(let error as UVError) where error.isExecutorSaturated:
                fail(ex, status: .serviceUnavailable, message: APIReplies.message(.serviceUnavailable), start: start)
            case .failure:
                fail(ex, status: .internalServerError, message: APIReplies.message(.internalError), start: start)
            }
        }
    }

    /// The hot path for a small needle whose bytes are cached: one non-waiting `preadv2` of the
    /// whole needle into a temporary buffer, the header and CRC checks, and the answer written
    /// from that buffer, with no lock but the map lookup's and no allocation but the answer's.
    /// Returns false, having answered nothing, when the bytes are not known to be cached.
    private func serveCachedSmall(_ ex: HTTPServerExchange, _ volume: Volume, _ span: NeedleSpan,
                                  key: Int64, cookie: Int32, stats: LoopVolumeCache.Entry, start: UInt64) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: span.totalSize, alignment: 8) { buffer -> Bool in
            guard PageCacheRead.read(span.block.file, into: buffer, at: span.offset) == .hit else { return false }
            let bytes = UnsafeRawBufferPointer(buffer)
            let header: NeedleHeader
            do throws(StorageError) {
                header = try volume.check(header: bytes, of: span, key: key, cookie: cookie).header
            } catch {
                failLocating(ex, error, start: start)
                return true
            }
            do throws(StorageError) {
                try NeedleFormat.verifyBody(bytes, at: 0, header: header, fileOffset: span.offset)
            } catch {
                fail(ex, status: .internalServerError, message: APIReplies.message(error.ret), start: start)
                return true
            }
            let length = header.dataSize
            let status: HTTPStatus
            let slice: Range<Int>
            var headers = Self.dataHeaders
            switch APIRange.parse(ex.head.headers["Range"], length: length) {
            case .full:
                (status, slice) = (.ok, 0..<length)
            case .partial(let r):
                (status, slice) = (.partialContent, r)
                headers.add(name: "Content-Range", value: "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(length)")
            case .unsatisfiable:
                context.metrics.record(.get, status: 416, elapsedNanos: monotonicNanos() - start)
                APIReplies.text(ex, status: .rangeNotSatisfiable, message: "requested range not satisfiable",
                                headers: ["Content-Range": "bytes */\(length)"])
                return true
            }
            let from = NeedleFormat.headerSize + slice.lowerBound
            let reply = Reply(context: context, volumeStats: stats, start: start, status: status, headers: headers, slice: slice)
            reply.countServed(bytes: slice.count)
            let sent = ex.respond(status: status, headers: headers,
                                  copying: UnsafeRawBufferPointer(rebasing: bytes[from..<(from + slice.count)]))
            reply.recordLatency(sent ? nil : .connectionClosed)
            return true
        }
    }

    /// The fields of every data answer (built once: no per-request header list).
    private static let dataHeaders: HTTPHeaders = ["Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"]

    /// Answers with the located needle: the whole data or the requested range.
    private func serve(_ ex: HTTPServerExchange, _ extent: NeedleExtent, stats: LoopVolumeCache.Entry, start: UInt64) {
        let length = extent.dataSize
        var headers = Self.dataHeaders
        let status: HTTPStatus
        let slice: Range<Int>
        switch APIRange.parse(ex.head.headers["Range"], length: length) {
        case .full:
            (status, slice) = (.ok, 0..<length)
        case .partial(let r):
            (status, slice) = (.partialContent, r)
            headers.add(name: "Content-Range", value: "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(length)")
        case .unsatisfiable:
            context.metrics.record(.get, status: 416, elapsedNanos: monotonicNanos() - start)
            return APIReplies.text(ex, status: .rangeNotSatisfiable, message: "requested range not satisfiable",
                                   headers: ["Content-Range": "bytes */\(length)"])
        }
        let reply = Reply(context: context, volumeStats: stats, start: start, status: status, headers: headers, slice: slice)
        if ex.head.method == .head || slice.isEmpty {
            return reply.sendFile(ex, extent, counted: false)
        }
        if extent.totalSize <= Self.verifiedReadMaxSize {
            serveSmall(ex, extent, reply)
        } else {
            serveLarge(ex, extent, reply)
        }
    }

    /// Reads the whole needle if cached and checks its CRC; on a miss, does so on the pool.
    private func serveSmall(_ ex: HTTPServerExchange, _ extent: NeedleExtent, _ reply: Reply) {
        var bytes = [UInt8](repeating: 0, count: extent.totalSize)
        let probe = bytes.withUnsafeMutableBytes {
            PageCacheRead.read(extent.block.file, into: $0, at: extent.needleOffset)
        }
        switch probe {
        case .hit:
            do throws(StorageError) {
                try bytes.withUnsafeBytes { b in
                    Result { () throws(StorageError) in
                        try NeedleFormat.verifyBody(b, at: 0, header: extent.header, fileOffset: extent.needleOffset)
                    }
                }.get()
            } catch {
                return fail(ex, status: .internalServerError, message: APIReplies.message(error.ret), start: reply.start)
            }
            let from = NeedleFormat.headerSize + reply.slice.lowerBound
            reply.sendBytes(ex, Array(bytes[from..<(from + reply.slice.count)]))
        case .miss:
            context.metrics.coldReads.increment()
            ex.loop.run(on: context.executors.reads, { try extent.readVerified() }, then: { result in
                switch result {
                case .success(let data):
                    reply.sendBytes(ex, Array(data[reply.slice]))
                case .failure(let error as UVError) where error.isExecutorSaturated:
                    fail(ex, status: .serviceUnavailable, message: APIReplies.message(.serviceUnavailable), start: reply.start)
                case .failure(let error):
                    let ret = (error as? StorageError)?.ret ?? .internalError
                    fail(ex, status: .internalServerError, message: APIReplies.message(ret), start: reply.start)
                }
            })
        case .unknown:
            reply.sendFile(ex, extent, counted: true)
        }
    }

    /// `sendfile`s the range from the loop, first warming the page cache on the pool if the
    /// probe says the disk would be hit.
    private func serveLarge(_ ex: HTTPServerExchange, _ extent: NeedleExtent, _ reply: Reply) {
        let offset = extent.dataOffset + Int64(reply.slice.lowerBound)
        let count = reply.slice.count
        // The header was just read, so the page holding its last byte is cached.
        let headerPageEnd = APIPageCache.endOfPage(holding: extent.dataOffset - 1)
        guard APIPageCache.looksCached(fd: extent.descriptor, offset: offset, length: count,
                                       cachedBelow: headerPageEnd) == .miss else {
            return reply.sendFile(ex, extent, counted: true)
        }
        context.metrics.coldReads.increment()
        ex.loop.run(on: context.executors.reads, { APIPageCache.warm(fd: extent.descriptor, offset: offset, length: count) },
                    then: { result in
            if case .failure(let error as UVError) = result, error.isExecutorSaturated {
                return fail(ex, status: .serviceUnavailable, message: APIReplies.message(.serviceUnavailable), start: reply.start)
            }
            reply.sendFile(ex, extent, counted: true)
        })
    }

    /// Answers a failed lookup. A wrong cookie answers exactly as a missing key (bfs: 500 "needle
    /// cookie not match", which told a guesser that the key exists; DESIGN.md §11).
    private func failLocating(_ ex: HTTPServerExchange, _ error: StorageError, start: UInt64) {
        switch error {
        case .needleNotFound, .cookieMismatch:
            fail(ex, status: .notFound, message: APIReplies.message(.needleNotExist), start: start)
        case .needleDeleted:
            fail(ex, status: .notFound, message: APIReplies.message(.needleDeleted), start: start)
        default:
            fail(ex, status: .internalServerError, message: APIReplies.message(error.ret), start: start)
        }
    }

    private func fail(_ ex: HTTPServerExchange, status: HTTPStatus, message: String, start: UInt64) {
        context.metrics.record(.get, status: status.code, elapsedNanos: monotonicNanos() - start)
        APIReplies.text(ex, status: status, message: message)
    }

    /// The success answer being built, and its accounting once sent.
    private struct Reply: Sendable {
        let context: StoreContext
        /// This loop's shares of the volume's and the store's counters.
        let volumeStats: LoopVolumeCache.Entry
        let start: UInt64
        let status: HTTPStatus
        let headers: HTTPHeaders
        let slice: Range<Int>

        /// Sends the slice with `sendfile`; the completion holds `extent` (the read lease) so the
        /// block descriptor stays open until the kernel has taken the last byte.
        func sendFile(_ ex: HTTPServerExchange, _ extent: NeedleExtent, counted: Bool) {
            let body: HTTPResponseBody = slice.isEmpty ? .empty
                : .file(fd: extent.descriptor, offset: extent.dataOffset + Int64(slice.lowerBound), length: slice.count)
            countServed(bytes: counted ? slice.count : 0)
            ex.respond(status: status, headers: headers, body: body) { [extent] error in
                withExtendedLifetime(extent) { recordLatency(error) }
            }
        }

        /// Sends bytes already read and verified.
        func sendBytes(_ ex: HTTPServerExchange, _ data: [UInt8]) {
            countServed(bytes: data.count)
            ex.respond(status: status, headers: headers, body: .bytes(data)) { error in recordLatency(error) }
        }

        /// Counts the read when the answer is handed to the server (as bfs counts a finished
        /// read), so a client that has the answer also sees it in `/info`.
        func countServed(bytes: Int) {
            let nanos = monotonicNanos() - start
            context.metrics.bytesRead.increment(by: Int64(bytes))
            volumeStats.storeStats.didGet(bytes: bytes, nanos: nanos)
            volumeStats.stats.didGet(bytes: bytes, nanos: nanos)
        }

        /// Records the request latency once the answer is out (499: the client went away).
        func recordLatency(_ error: HTTPError?) {
            context.metrics.record(.get, status: error == nil ? status.code : 499, elapsedNanos: monotonicNanos() - start)
        }
    }
}
