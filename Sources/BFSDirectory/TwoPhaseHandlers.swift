import BFSCore
import BFSHTTP
import BFSMetadata

/// The two-phase upload our proxy uses (DESIGN.md §5): `allocate` reserves a needle, the proxy
/// writes every replica, `commit` makes the file point at it. Metadata never points at data that
/// is not on every replica; a needle never committed is aborted by the reaper and deleted.
struct TwoPhaseHandlers: Sendable {
    let context: DirectoryContext

    /// `POST /allocate` (`bucket`, `filename`, optional `mime`, any number of `exclude_vid` and
    /// `exclude_group`): a pending needle and the api addresses of every store to write, placed
    /// outside the excluded groups (those named, and those holding an excluded volume).
    func allocate(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let bucket = fields.first("bucket"), let filename = fields.first("filename"),
                  !bucket.isEmpty, !filename.isEmpty else { return DirectoryReplies.badRequest(ex) }
            let excludedVolumes = fields.all("exclude_vid").map { VolumeID($0) }
            let excludedGroups = fields.all("exclude_group").map { Int($0) }
            guard !excludedVolumes.contains(nil), !excludedGroups.contains(nil) else { return DirectoryReplies.badRequest(ex) }
            let needle: NeedleLocation, placement: Placement
            do throws(DirectoryError) {
                (needle, placement) = try context.newNeedle(excludingGroups: Set(excludedGroups.compactMap { $0 }),
                                                            excludingVolumes: Set(excludedVolumes.compactMap { $0 }))
            } catch {
                return context.answer(ex, .allocate, DirectoryReplies.ret(error.ret), ok: false, since: start)
            }
            let expiresAt = context.now() + context.settings.allocationTimeout.wholeNanoseconds
            let allocation = Allocation(bucket: bucket, filename: filename, needle: needle,
                                        mime: fields.first("mime"), expiresAt: expiresAt)
            context.metadata.allocate(allocation) { result in
                switch result {
                case .success:
                    let reply = BFSReply(ret: .ok, key: needle.key, cookie: needle.cookie, vid: needle.vid,
                                         stores: placement.stores.map(\.api))
                    context.answer(ex, .allocate, bytes: reply.bytes, ok: true, since: start)
                case .failure(let error):
                    context.answer(ex, .allocate, DirectoryReplies.ret(DirectoryReplies.ret(of: error)), ok: false, since: start)
                }
            }
        }
    }

    /// `POST /commit` (`key`, `sha1`, `size`, `mtime`, optional `mime`, optional `expect_key` or
    /// `expect_absent=1`, `ExpectationFields`): the file points at the needle;
    /// `"outcome":"replaced"` when it pointed at another one, which is now a tombstone. An unmet
    /// expectation answers ret 412 and leaves the allocation pending.
    func commit(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let key = fields.first("key").flatMap({ Int64($0) }), let sha1 = fields.first("sha1"),
                  let size = fields.first("size").flatMap({ Int64($0) }),
                  let mtime = fields.first("mtime").flatMap({ Int64($0) }),
                  case .success(let expecting) = ExpectationFields.parse(fields) else { return DirectoryReplies.badRequest(ex) }
            let commit = FileCommit(key: key, sha1: sha1, mime: fields.first("mime"), size: size, mtime: mtime, expecting: expecting)
            context.metadata.commit(commit) { result in
                switch result {
                case .success(let outcome):
                    context.answer(ex, .commit, bytes: DirectoryReplies.committed(outcome), ok: true, since: start)
                case .failure(let error):
                    context.answer(ex, .commit, DirectoryReplies.ret(DirectoryReplies.ret(of: error)), ok: false, since: start)
                }
            }
        }
    }

    /// `POST /abort` (`key`): the allocation becomes a tombstone (replicas the proxy wrote are
    /// deleted by the reaper).
    func abort(_ ex: HTTPServerExchange) {
        let start = monotonicNanos()
        RequestFields.read(ex) { fields in
            guard let key = fields.first("key").flatMap({ Int64($0) }) else { return DirectoryReplies.badRequest(ex) }
            context.metadata.abort(key: key) { result in
                let ret: Ret = switch result {
                case .success: .ok
                case .failure(let error): DirectoryReplies.ret(of: error)
                }
                context.answer(ex, .abort, DirectoryReplies.ret(ret), ok: ret == .ok, since: start)
            }
        }
    }
}
