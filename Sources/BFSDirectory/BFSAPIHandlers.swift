import BFSCore
import BFSHTTP
import BFSLoop
import BFSMetadata

/// bfs's `/get`, `/upload` and `/del` (reference/bfs-v1.md §2.1), so a bfs proxy works against
/// this directory unchanged. Handlers start on the loop; metadata answers arrive on the metadata
/// threads and are answered from there (`respond` hops to the loop).
struct BFSAPIHandlers: Sendable {
    let context: DirectoryContext

    /// `GET /get?bucket=&filename=`: the file's needle and the readable stores of its volume,
    /// plus its `size` after bfs's fields.
    func get(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let bucket = fields.first("bucket"), let filename = fields.first("filename"),
                  !bucket.isEmpty, !filename.isEmpty else { return DirectoryReplies.badRequest(ex) }
            context.metadata.lookup(bucket: bucket, filename: filename) { result in
                switch result {
                case .success(let entry):
                    switch context.readableStores(of: entry.needle.vid) {
                    case .success(let stores):
                        var reply = BFSReply(ret: .ok, entry: entry, stores: stores)
                        reply.size = entry.size
                        answer(ex, .get, reply, start)
                    case .failure(let error): answer(ex, .get, BFSReply(ret: error.ret), start)
                    }
                case .failure(let error):
                    answer(ex, .get, BFSReply(ret: DirectoryReplies.ret(of: error)), start)
                }
            }
        }
    }

    /// `POST /upload` (`bucket`, `filename`, `sha1`, `mine`, `mtime`): a new filename gets a
    /// placed needle and is visible at once (ret 1); an existing one keeps its needle, takes the
    /// new sha1/mime/mtime and answers 5000 with its readable stores, as bfs did.
    func upload(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let bucket = fields.first("bucket"), let filename = fields.first("filename"),
                  let sha1 = fields.first("sha1"), let mime = fields.first("mine"),
                  let mtime = fields.first("mtime").flatMap({ Int64($0) }),
                  !bucket.isEmpty, !filename.isEmpty else { return DirectoryReplies.badRequest(ex) }
            let needle: NeedleLocation, placement: Placement
            do throws(DirectoryError) {
                (needle, placement) = try context.newNeedle()
            } catch {
                return answer(ex, .upload, BFSReply(ret: error.ret), start)
            }
            let entry = FileEntry(bucket: bucket, filename: filename, needle: needle, sha1: sha1, mime: mime, size: 0, mtime: mtime)
            context.metadata.upload(PlainUpload(entry: entry)) { result in
                switch result {
                case .success(.created(let created)):
                    answer(ex, .upload, BFSReply(ret: .ok, entry: created, stores: placement.stores.map(\.api)), start)
                case .success(.existing(let existing)):
                    var reply = BFSReply(ret: .needleExist, entry: existing, stores: nil)
                    reply.updateTime = mtime
                    switch context.readableStores(of: existing.needle.vid) {
                    case .success(let stores): reply.stores = stores
                    case .failure(let error): reply = BFSReply(ret: error.ret)
                    }
                    answer(ex, .upload, reply, start)
                case .failure(let error):
                    answer(ex, .upload, BFSReply(ret: DirectoryReplies.ret(of: error)), start)
                }
            }
        }
    }

    /// `POST /del` (`bucket`, `filename`): removes the row and answers where the needle lives.
    /// Unlike bfs, the needle also becomes a tombstone the reaper deletes from every replica,
    /// so a caller that stops halfway leaves nothing behind. Our extension: optional `expect_key`
    /// or `expect_absent=1` (`ExpectationFields`), unmet answers ret 412 and deletes nothing.
    func del(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let bucket = fields.first("bucket"), let filename = fields.first("filename"),
                  !bucket.isEmpty, !filename.isEmpty,
                  case .success(let expecting) = ExpectationFields.parse(fields) else { return DirectoryReplies.badRequest(ex) }
            context.metadata.delete(bucket: bucket, filename: filename, expecting: expecting) { result in
                switch result {
                case .success(let entry):
                    // bfs checked the stores before deleting; the tombstone makes the order moot,
                    // and the caller still learns where the needle was.
                    let stores = try? context.allStores(of: entry.needle.vid).get()
                    answer(ex, .del, BFSReply(ret: .ok, entry: entry, stores: stores ?? []), start)
                case .failure(let error):
                    answer(ex, .del, BFSReply(ret: DirectoryReplies.ret(of: error)), start)
                }
            }
        }
    }

    private func answer(_ ex: HTTPServerExchange, _ endpoint: DirectoryMetrics.Endpoint, _ reply: BFSReply, _ start: UInt64) {
        context.answer(ex, endpoint, bytes: reply.bytes, ok: reply.ret == .ok, since: start)
    }
}
