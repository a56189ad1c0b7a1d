import BFSCore
import BFSHTTP
import BFSLoop
import BFSStorage
import Foundation
import Glibc
import Logging

/// Pulls a copy of volume `id` from a peer store's admin listener (`/bulk_volume?from=`), then
/// opens and registers it like a local `/bulk_volume`.
///
/// Steps: take a snapshot on the peer (`AdminVolumeExport`); copy its index then its block in
/// ranges of `rangeSize` into `<dataDir>/<vid>_<i>.pull` and `<dataDir>/<vid>_<i>.idx.pull`
/// (one range in flight: the HTTP client runs on the loop, each range is written with `pwrite`
/// in the libuv pool before the next is asked for, so memory stays at one range and a slow disk
/// slows the transfer); release the snapshot; then on a thread of its own fsync both files,
/// move them to `<vid>_<i>`/`<vid>_<i>.idx` without replacing anything, fsync the directory,
/// ask the peer for the keys it has deleted (`/volume_deletes`), open the copy (recovery
/// rescans the block past the last index record), delete those keys in it, and only then
/// register it (`StoreVolumes.bulkVolume`). The snapshot alone would resurrect deletes made
/// on the peer during the copy, or whose flag byte landed in a range already copied.
///
/// What remains: a delete the peer acknowledges after answering `/volume_deletes` and before
/// the directory routes deletes to this replica too (it learns of it from the registration)
/// reaches the peer only.
///
/// Crash windows: before the renames the `.pull` files are orphans nobody lists (removed by
/// hand, or overwritten by nobody: fresh names skip them); after the renames and before the
/// volume list rewrite the same holds for the final names. Progress shows in `/info` `loads`.
final class VolumePuller: @unchecked Sendable {
    /// Bytes per range request.
    static let rangeSize = 8 << 20
    /// Attempts per range before the pull fails.
    static let attempts = 3
    static let logger = Logger(label: "bfs.store.pull")

    let context: StoreContext
    let loop: EventLoop
    let id: VolumeID
    let host: String
    let port: Int
    // Loop-confined from `start` on.
    private var client: HTTPClient?
    private var snapshot = ""
    /// The peer volume's generation at the snapshot (`/volume_deletes` refuses once it changed).
    private var generation = ""
    private var sizes: (index: Int64, block: Int64) = (0, 0)
    private var files: (block: StorageFile, index: StorageFile)?
    private var paths: (block: String, index: String) = ("", "")

    init(context: StoreContext, loop: EventLoop, id: VolumeID, host: String, port: Int) {
        self.context = context
        self.loop = loop
        self.id = id
        self.host = host
        self.port = port
    }

    /// Starts the pull (from any thread); the outcome goes to `context.jobs` and the log.
    func start() {
        loop.execute { self.begin() }
    }

    private func begin() {
        client = HTTPClient(loop: loop)
        let request = context.authorized(HTTPClientRequest(host: host, port: port, target: "/volume_snapshot", form: ["vid": String(id)]))
        client!.execute(request, maxBodySize: 64 << 10) { result in
            guard case .success(let response) = result else { return self.fail("snapshot request: \(Self.describe(result))") }
            struct Answer: Decodable {
                var ret: Int
                var snapshot: String?
                var block_size: Int64?
                var index_size: Int64?
                var generation: String?
            }
            guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)) else {
                return self.fail("snapshot answer is not bfs JSON: \(response.status)")
            }
            guard answer.ret == 1, let token = answer.snapshot, let b = answer.block_size, let i = answer.index_size,
                  let generation = answer.generation else {
                return self.fail("peer answered ret \(answer.ret)")
            }
            self.snapshot = token
            self.generation = generation
            self.sizes = (i, b)
            self.context.jobs.progress(id: self.id, done: 0, total: b + i)
            let (dataDir, id) = (self.context.settings.dataDir, self.id)
            self.loop.runBlocking({ try Self.createFiles(dataDir: dataDir, id: id) }) { created in
                switch created {
                case .success(let (paths, files)):
                    self.paths = paths
                    self.files = files
                    self.copy(index: true, offset: 0, attempt: 1)
                case .failure(let e):
                    self.fail("creating files: \(e)")
                }
            }
        }
    }

    /// Fetches one range and writes it, then the next; the index first, then the block.
    private func copy(index isIndex: Bool, offset: Int64, attempt: Int) {
        let size = isIndex ? sizes.index : sizes.block
        guard offset < size else {
            return isIndex ? copy(index: false, offset: 0, attempt: 1) : finishTransfer()
        }
        let length = Int(min(Int64(Self.rangeSize), size - offset))
        let target = "/volume_file?snapshot=\(snapshot)&file=\(isIndex ? "index" : "block")&offset=\(offset)&length=\(length)"
        client?.execute(context.authorized(HTTPClientRequest(host: host, port: port, target: target)), maxBodySize: length) { result in
            guard case .success(let response) = result, response.status == .ok, response.body.count == length else {
                let why: String
                switch result {
                case .success(let r): why = "range \(target): status \(r.status), \(r.body.count) bytes"
                case .failure(let e): why = "range \(target): \(e)"
                }
                if attempt < Self.attempts { return self.copy(index: isIndex, offset: offset, attempt: attempt + 1) }
                return self.fail(why)
            }
            guard let file = isIndex ? self.files?.index : self.files?.block else { return }
            let bytes = response.body
            self.loop.runBlocking({
                try bytes.withUnsafeBytes { b in try file.write(b, at: offset) }
            }) { written in
                if case .failure(let e) = written { return self.fail("writing: \(e)") }
                let done = (isIndex ? 0 : self.sizes.index) + offset + Int64(length)
                self.context.jobs.progress(id: self.id, done: done, total: self.sizes.index + self.sizes.block)
                self.copy(index: isIndex, offset: offset + Int64(length), attempt: 1)
            }
        }
    }

    private func finishTransfer() {
        releaseSnapshot()
        guard let files else { return }
        self.files = nil
        let (context, id, paths, from) = (context, id, paths, "\(host):\(port)")
        let (loop, host, port, generation) = (loop, host, port, generation)
        AdminHandlers.detach("pull-\(id)") {
            let block = String(paths.block.dropLast(".pull".count)), index = String(paths.index.dropLast(".pull".count))
            let synced = Result { () throws(StorageError) in
                try files.block.sync()
                try files.index.sync()
            }
            // Closed exactly once: a second close could hit a descriptor number reused meanwhile.
            files.block.close()
            files.index.close()
            var movedIndex = false, movedBlock = false
            do {
                try synced.get()
                let fs = PosixFileSystem()
                try Self.moveNoReplace(paths.index, to: index)
                movedIndex = true
                try Self.moveNoReplace(paths.block, to: block)
                movedBlock = true
                try fs.syncDirectory(directoryOf(block))
                context.jobs.pullWillCatchUp.withLock { $0 }?(id)
                let deleted = try Self.fetchDeletedKeys(loop: loop, host: host, port: port, id: id,
                                                        generation: generation, context: context)
                Self.logger.info("pulled volume \(id) from \(from) into \(block); \(deleted.count) deleted keys to apply")
                // Refused (say, the vid was added meanwhile): the copy is nobody's, remove it.
                if !AdminHandlers.register(context, id: id, block: block, index: index,
                                           prepare: { (volume) throws(StorageError) in try volume.applyDeletes(deleted) }) {
                    Self.removeFiles((block, index))
                }
            } catch {
                Self.removeFiles(paths)
                // Only names this pull created: another volume may own them otherwise.
                if movedIndex { try? PosixFileSystem().remove(index) }
                if movedBlock { try? PosixFileSystem().remove(block) }
                Self.logger.error("pull of volume \(id) from \(from) failed: \(error)")
                context.jobs.finishLoad(id: id, error: "\(error)")
            }
        }
    }

    private func fail(_ why: String) {
        Self.logger.error("pull of volume \(id) from \(host):\(port) failed: \(why)")
        context.jobs.finishLoad(id: id, error: why)
        releaseSnapshot()
        if let files {
            self.files = nil
            let paths = self.paths
            loop.runBlocking({
                files.block.close()
                files.index.close()
                Self.removeFiles(paths)
            }) { _ in }
        }
    }

    /// Tells the peer it can drop the snapshot, then closes the client.
    private func releaseSnapshot() {
        guard let client else { return }
        self.client = nil
        guard !snapshot.isEmpty else { return client.close() }
        let request = context.authorized(HTTPClientRequest(host: host, port: port, target: "/volume_snapshot_release", form: ["snapshot": snapshot]))
        client.execute(request, maxBodySize: 4096) { _ in client.close() }
    }

    /// Picks `<dataDir>/<vid>_<i>` with no final or `.pull` file of that name and creates the
    /// two `.pull` files.
    static func createFiles(dataDir: String, id: VolumeID) throws -> ((block: String, index: String), (block: StorageFile, index: StorageFile)) {
        let fs = PosixFileSystem()
        try fs.makeDirectory(dataDir)
        var i = 0
        while true {
            let block = "\(dataDir)/\(VolumeFiles.activeBlockName(id: id, generation: i))"
            let names = [block, block + ".idx", block + ".pull", block + ".idx.pull"]
            if !names.contains(where: fs.exists) {
                let b = try fs.open(block + ".pull", create: true)
                do {
                    let x = try fs.open(block + ".idx.pull", create: true)
                    return ((block + ".pull", block + ".idx.pull"), (b, x))
                } catch {
                    b.close()
                    try? fs.remove(block + ".pull")
                    throw error
                }
            }
            i += 1
        }
    }

    /// Largest `/volume_deletes` answer accepted (32 Mi deleted keys).
    static let maxDeletesBody = 256 << 20

    /// The keys volume `id` has deleted on the peer (`/volume_deletes`); blocks the calling
    /// worker thread while `loop` does the request. Fails when the peer compacted the volume
    /// since the snapshot of `generation`: the deletes it dropped could not be listed.
    static func fetchDeletedKeys(loop: EventLoop, host: String, port: Int, id: VolumeID, generation: String,
                                 context: StoreContext) throws -> [Int64] {
        let answer = Completion<Result<HTTPClientResponse, HTTPClientError>>()
        loop.execute {
            let client = HTTPClient(loop: loop)
            client.execute(context.authorized(HTTPClientRequest(host: host, port: port, target: "/volume_deletes?vid=\(id)&generation=\(generation)")),
                           maxBodySize: maxDeletesBody) { result in
                answer.fulfill(result)
                client.close()
            }
        }
        guard let result = answer.wait(milliseconds: 120_000) else { throw PullError("deleted keys: no answer") }
        let response = try result.get()
        if response.status == .conflict {
            throw PullError("the peer compacted volume \(id) during the pull; pull it again")
        }
        guard response.status == .ok, let keys = AdminVolumeExport.decodeKeys(response.body) else {
            throw PullError("deleted keys: status \(response.status), \(response.body.count) bytes")
        }
        return keys
    }

    /// Renames without replacing: `link(2)` fails if `to` exists (an `add_volume` of the same vid
    /// may have taken the name meanwhile, and a plain rename would clobber that volume's file).
    static func moveNoReplace(_ from: String, to: String) throws(StorageError) {
        guard link(from, to) == 0 else { throw .io(operation: "link \(from) \(to)", errno: errno) }
        try PosixFileSystem().remove(from)
    }

    static func removeFiles(_ paths: (block: String, index: String)) {
        let fs = PosixFileSystem()
        try? fs.remove(paths.block)
        try? fs.remove(paths.index)
    }

    static func describe<T>(_ result: Result<T, HTTPClientError>) -> String {
        switch result {
        case .success: return "unexpected answer"
        case .failure(let e): return e.description
        }
    }
}

/// Why a pull stopped, when no lower layer has an error of its own for it.
struct PullError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
