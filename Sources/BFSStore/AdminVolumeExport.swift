import BFSCore
import BFSHTTP
import BFSStorage

/// What a peer store reads to pull a copy of a volume (`/bulk_volume?from=`, `VolumePuller`).
/// Not in bfs, where the operator copied files by hand and had to stop writes meanwhile.
///
/// | Path | Method | Params | Answer |
/// |---|---|---|---|
/// | `/volume_snapshot` | POST | `vid` | `{"ret":1,"snapshot":"<token>","block_size":B,"index_size":I}`; 8001 no volume |
/// | `/volume_file` | GET | `snapshot`, `file` (`block`/`index`), `offset`, `length` (≤ 16 MiB) | 200 with the bytes `[offset, min(offset+length, size))`; 400 bad params; 404 unknown snapshot |
/// | `/volume_snapshot_release` | POST | `snapshot` | `{"ret":1}`; 65534 unknown snapshot |
/// | `/volume_deletes` | GET | `vid` | 200 with the keys now flagged deleted, ascending, each 8 bytes int64 big-endian; 400 bad vid; 404 no volume |
///
/// `/volume_deletes` is the pull's catch-up: asked after the copy, it carries deletes made on the
/// peer since the snapshot (and those whose flag byte was in a range already copied), so the
/// copy does not resurrect them.
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
            ex.loop.runBlocking({ () throws -> (UInt64, Int64, Int64) in
                let snapshot = try volume.snapshot()
                return (context.jobs.keep(snapshot, now: monotonicNanos()), snapshot.blockSize, snapshot.indexSize)
            }) { result in
                switch result {
                case .success(let (token, blockSize, indexSize)):
                    AdminReplies.json(ex, context, nil, start: start, ret: 1,
                                      extra: ",\"snapshot\":\"\(token)\",\"block_size\":\(blockSize),\"index_size\":\(indexSize)")
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
        guard let vid = q.first("vid").flatMap({ VolumeID($0) }) else {
            return AdminReplies.status(ex, context, nil, start: start, .badRequest, "bad vid")
        }
        guard let volume = context.volumes.volume(vid) else {
            return AdminReplies.status(ex, context, nil, start: start, .notFound, "volume \(vid) not found")
        }
        // A walk over the whole needle map: off the loop.
        ex.loop.runBlocking({ Self.encodeKeys(volume.deletedKeys().sorted()) }) { result in
            ex.respond(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: .bytes((try? result.get()) ?? []))
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
