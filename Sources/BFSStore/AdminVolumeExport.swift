import BFSCore
import BFSHTTP
import BFSStorage

/// What a peer store reads to pull a copy of a volume (`/bulk_volume?from=`, `VolumePuller`).
/// Not in bfs, where the operator copied files by hand and had to stop writes meanwhile.
///
/// | Path | Method | Params | Answer |
/// |---|---|---|---|
/// | `/volume_snapshot` | POST | `vid` | `{"ret":1,"snapshot":"<token>","block_size":B,"index_size":I,"generation":"<g>"}`; 8001 no volume |
/// | `/volume_file` | GET | `snapshot`, `file` (`block`/`index`), `offset`, `length` (≤ 16 MiB) | 200 with the bytes `[offset, min(offset+length, size))`; 400 bad params; 404 unknown snapshot |
/// | `/volume_snapshot_release` | POST | `snapshot` | `{"ret":1}`; 65534 unknown snapshot |
/// | `/volume_deletes` | GET | `vid`, optional `generation` (the snapshot's) | 200 with the keys now flagged deleted, ascending, each 8 bytes int64 big-endian; 400 bad vid or generation; 404 no volume; 409 the volume was compacted since that generation |
///
/// `/volume_deletes` is the pull's catch-up: asked after the copy, it carries deletes made on the
/// peer since the snapshot (and those whose flag byte was in a range already copied), so the
/// copy does not resurrect them. A compaction drops deleted keys from the map, so once the
/// volume was compacted after the snapshot the list no longer covers them: the answer is 409
/// and the puller gives up rather than register a copy with live deleted keys.
///
/// A snapshot (`VolumeSnapshot`) pins one generation of the volume's files up to the durable end
/// at the time it was taken, so ranges read minutes apart still fit together even if the volume
/// is written or compacted meanwhile. Ranges keep the memory of both sides bounded (one range
/// in flight) and let the puller pace itself by its disk. Snapshots not used for 5 minutes are
/// dropped when the next one is taken, so a vanished puller pins files for a bounded time.
struct AdminVolumeExport: Sendable {
    /// The largest range one `/volume_file` request may ask for.
    static let maxRangeSize = 16 << 20
    let context: StoreContext

    func takeSnapshot(_ ex: HTTPServerExchange) {
        let context = self.context
        AdminReplies.readParameters(ex) { params in
            let start = monotonicNanos()
            guard let vid = params?.first("vid").flatMap({ VolumeID($0) }) else {
                return AdminReplies.json(ex, context, nil, start: start, ret: Ret.paramError.rawValue)
            }
            guard let volume = context.volumes.volume(vid) else {
                return AdminReplies.json(ex, context, nil, start: start, ret: Ret.volumeNotExist.rawValue)
            }
            // Kept from the pool thread: keeping may drop expired snapshots, and dropping the
            // last descriptor of an unlinked multi-GiB file frees its blocks inside close(2).
            ex.loop.runBlocking({ () throws -> (UInt64, VolumeSnapshot) in
                let snapshot = try volume.snapshot()
                return (context.jobs.keep(snapshot, now: monotonicNanos()), snapshot)
            }) { result in
                switch result {
                case .success(let (token, s)):
                    AdminReplies.json(ex, context, nil, start: start, ret: 1,
                                      extra: ",\"snapshot\":\"\(token)\",\"block_size\":\(s.blockSize),\"index_size\":\(s.indexSize)"
                                          + ",\"generation\":\"\(s.generation)\"")
                case .failure(let e):
                    AdminReplies.json(ex, context, nil, start: start, ret: AdminReplies.ret(of: e))
                }
            }
        }
    }

    func readFile(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        let q = (try? QueryString.parse(ex.head.query)) ?? FormFields()
        guard let token = q.first("snapshot").flatMap({ UInt64($0) }),
              let file = q.first("file"), file == "block" || file == "index",
              let offset = q.first("offset").flatMap({ Int64($0) }), offset >= 0,
              let length = q.first("length").flatMap({ Int($0) }), (0...Self.maxRangeSize).contains(length) else {
            return AdminReplies.status(ex, context, nil, start: start, .badRequest, "bad snapshot, file, offset or length")
        }
        guard let snapshot = context.jobs.snapshot(token, now: start) else {
            return AdminReplies.status(ex, context, nil, start: start, .notFound, "unknown snapshot")
        }
        let isIndex = file == "index"
        let context = self.context
        ex.loop.runBlocking({ () throws -> [UInt8] in
            let size = isIndex ? snapshot.indexSize : snapshot.blockSize
            let count = Int(max(0, min(Int64(length), size - offset)))
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n = try bytes.withUnsafeMutableBytes { b in
                    try snapshot.read(index: isIndex, into: UnsafeMutableRawBufferPointer(rebasing: b[done...]),
                                      at: offset + Int64(done))
                }
                if n == 0 { throw StorageError.truncated(offset: offset + Int64(done)) }
                done += n
            }
            return bytes
        }) { result in
            switch result {
            case .success(let bytes):
                ex.respond(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: .bytes(bytes))
            case .failure(let e):
                AdminReplies.status(ex, context, nil, start: start, .internalServerError, "\(e)")
            }
        }
    }

    func release(_ ex: HTTPServerExchange) {
        let context = self.context
        AdminReplies.readParameters(ex) { params in
            let start = monotonicNanos()
            guard let token = params?.first("snapshot").flatMap({ UInt64($0) }) else {
                return AdminReplies.json(ex, context, nil, start: start, ret: Ret.paramError.rawValue)
            }
            // Released from the pool thread, for the same close(2) reason as above.
            ex.loop.runBlocking({ context.jobs.release(token) }) { released in
                let ret = (try? released.get()) == true ? 1 : Ret.paramError.rawValue
                AdminReplies.json(ex, context, nil, start: start, ret: ret)
            }
        }
    }

    func deletedKeys(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        let q = (try? QueryString.parse(ex.head.query)) ?? FormFields()
        let generation = q.first("generation").map { UInt64($0) }
        guard let vid = q.first("vid").flatMap({ VolumeID($0) }), generation != .some(nil) else {
            return AdminReplies.status(ex, context, nil, start: start, .badRequest, "bad vid or generation")
        }
        guard let volume = context.volumes.volume(vid) else {
            return AdminReplies.status(ex, context, nil, start: start, .notFound, "volume \(vid) not found")
        }
        let context = self.context
        // A walk over the whole needle map: off the loop. The generation is checked after the
        // walk: unchanged then, no compaction swapped the map before or during it.
        ex.loop.runBlocking({ () -> [UInt8]? in
            let keys = volume.deletedKeys()
            if let expected = generation, expected != volume.generation { return nil }
            return Self.encodeKeys(keys.sorted())
        }) { result in
            guard let body = try? result.get() else {
                return AdminReplies.status(ex, context, nil, start: start, .conflict, "volume \(vid) was compacted since the snapshot")
            }
            ex.respond(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: .bytes(body))
        }
    }

    /// The `/volume_deletes` body for `keys` (see the table above).
    static func encodeKeys(_ keys: [Int64]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(keys.count * 8)
        for key in keys { withUnsafeBytes(of: key.bigEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// The keys of a `/volume_deletes` body; nil when it is not whole 8-byte keys.
    static func decodeKeys(_ body: [UInt8]) -> [Int64]? {
        guard body.count % 8 == 0 else { return nil }
        return stride(from: 0, to: body.count, by: 8).map { i in
            body[i..<(i + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        }
    }
}
