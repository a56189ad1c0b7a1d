import BFSStorage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `FileSystem` for crash tests: real files underneath, plus a record of what is durable.
///
/// Every write and truncate keeps an undo entry (the bytes and size it replaced) until a sync
/// that started after it completed returns. `crash()` rolls every file back to what its syncs made
/// durable, as a power loss would; with `tearing:` the last write of one file survives only up to
/// a byte count (a torn write, with the writes before it written back). `flipBit` damages a byte
/// as the medium would. `failNext` makes the N-th next call of an operation fail with an errno
/// (EIO, ENOSPC...) without touching the disk; `failWriteback` models a failed writeback instead,
/// with Linux's per-open-file error reporting (see there).
/// Handles opened before a crash are dead afterwards: every call on them fails with EIO, so a
/// volume abandoned by the "crashed process" cannot touch the files the test reopens.
/// File creations and renames are durable only once their directories are synced
/// (`syncDirectory`); `crash()` undoes the others (a replaced file gets its old content back).
/// Removals are treated as durable at once.
///
/// Concurrency: calls on different files, and overlapping syncs of one file, run concurrently,
/// as in production. Writes and truncates of one file are serialised with each other (their undo
/// entries must be in the order the bytes landed). Every write, truncate and sync holds the shared
/// side of a crash lock that `crash()` takes exclusively, so each is wholly before or wholly after
/// the power loss: a sync cannot acknowledge bytes the crash rolled back.
public final class FaultInjectingFileSystem: FileSystem, Sendable {
    /// The operations `failNext` can target.
    public enum Operation: Hashable, Sendable {
        case open, read, write, sync, truncate, preallocate, rename, syncDirectory
    }

    /// A point in a file call, shown to the `observe` callback: tests pause a thread there to
    /// force an interleaving (two overlapping syncs, a read overtaken by a compaction...).
    public struct Event: Sendable {
        /// Where in the call.
        public enum Stage: Sendable {
            /// Before any work (and before the crash lock is taken).
            case entered
            /// Writes and syncs only: past the injected-failure check, with the crash lock held
            /// (shared) and before the real call. Other calls proceed meanwhile and `crash()`
            /// waits: never crash from here.
            case inside
            /// After the work and the bookkeeping, just before returning.
            case returning
        }
        /// The call.
        public var operation: Operation
        /// The file's path.
        public var path: String
        /// The byte offset of a read or write (0 for other calls).
        public var offset: Int64
        /// Where in the call.
        public var stage: Stage
        /// At `.returning`, whether the call throws.
        public var failed: Bool
    }

    struct UndoEntry {
        /// Order of completion among all writes; a sync covers the writes completed before it began.
        var sequence: Int
        var offset: Int64
        var length: Int
        var oldBytes: [UInt8]
        var sizeBefore: Int64
    }

    /// Durability and writeback-error state of one path.
    struct FileRecord {
        /// Writes not yet covered by a sync, oldest first.
        var undo: [UndoEntry] = []
        /// Writes whose writeback failed: the page cache calls them clean, the disk never got them.
        var lost: [UndoEntry] = []
        /// Writeback errors so far (Linux's per-inode errseq counter).
        var writebackErrors = 0
        /// Whether some handle already reported the latest writeback error.
        var errorSeen = true
        var lastErrno: Int32 = EIO
        /// A writeback failure injected for the next sync.
        var pendingWritebackFailure: Int32?
    }

    /// A name change not yet covered by a sync of every directory it touched.
    struct NameChange {
        var created: String?
        var renamed: (from: String, to: String, displaced: [UInt8]?)?
        var directories: Set<String>
    }

    struct State {
        var files: [String: FileRecord] = [:]
        var names: [NameChange] = []
        var generation = 0
        var nextSequence = 0
        var failures: [Operation: (remaining: Int, errno: Int32)] = [:]
        var calls: [Operation: Int] = [:]
        var observer: (@Sendable (Event) -> Void)?
    }

    let base = PosixFileSystem()
    let state = Mutex(State())
    let crashLock = CrashLock()
    /// Serialises writes and truncates per path (a path always maps to the same stripe).
    let writeStripes = (0..<16).map { _ in PathLock() }

    /// A fault-free file system until told otherwise.
    public init() {}

    /// Makes the `nth` next call (1 = the very next) of `operation` fail with `errno`.
    public func failNext(_ operation: Operation, nth: Int = 1, errno code: Int32) {
        state.withLock { $0.failures[operation] = (nth, code) }
    }

    /// Makes the writeback of the next sync of `path` (through any handle) fail, as a disk error
    /// during `fdatasync` does on Linux: the unsynced writes that sync covers are lost (the page
    /// cache marks them clean, so no later sync retries them, and a crash rolls them back), and the
    /// error is reported once to every handle of `path` opened before it, at that handle's next
    /// sync, and to no handle twice (the kernel's per-open-file errseq cursor). A handle opened
    /// after the error reports it only if no handle has reported it yet.
    public func failWriteback(_ path: String, errno code: Int32 = EIO) {
        state.withLock { $0.files[path, default: FileRecord()].pendingWritebackFailure = code }
    }

    /// Cancels every pending `failNext` and `failWriteback`.
    public func clearFailures() {
        state.withLock { s in
            s.failures = [:]
            for path in s.files.keys { s.files[path]?.pendingWritebackFailure = nil }
        }
    }

    /// Calls `body` at the `Event`s of every later file call, on the calling thread and with no
    /// lock of this file system held; nil stops it. It may block (bounded) to hold that thread.
    public func observe(_ body: (@Sendable (Event) -> Void)?) {
        state.withLock { $0.observer = body }
    }

    /// How many times `operation` was called so far.
    public func calls(_ operation: Operation) -> Int {
        state.withLock { $0.calls[operation, default: 0] }
    }

    /// Whether `path` has writes that a crash would drop.
    public func hasUnsyncedWrites(_ path: String) -> Bool {
        state.withLock { s in
            guard let f = s.files[path] else { return false }
            return !f.undo.isEmpty || !f.lost.isEmpty
        }
    }

    /// Simulates power loss: every file goes back to its content at its last sync, except that
    /// the file at `tearing.path` keeps its unsynced writes and only the first `tearing.keep` bytes
    /// of its last write. All handles open so far become dead.
    public func crash(tearing: (path: String, keep: Int)? = nil) {
        crashLock.exclusive { crashLocked(tearing: tearing) }
    }

    private func crashLocked(tearing: (path: String, keep: Int)?) {
        state.withLock { s in
            for (path, record) in s.files {
                let entries = (record.undo + record.lost).sorted { $0.sequence < $1.sequence }
                guard !entries.isEmpty, let file = try? base.open(path, create: false) else { continue }
                defer { file.close() }
                if let tear = tearing, tear.path == path, let last = record.undo.last {
                    for entry in record.lost.reversed() { restore(entry, into: file, keepingFirst: 0) }
                    restore(last, into: file, keepingFirst: tear.keep)
                } else {
                    for entry in entries.reversed() { restore(entry, into: file, keepingFirst: 0) }
                }
            }
            s.files = [:]
            for change in s.names.reversed() {
                if let r = change.renamed {
                    try? base.rename(r.to, to: r.from)
                    if let old = r.displaced, let file = try? base.open(r.to, create: true) {
                        old.withUnsafeBytes { b in try? file.write(b, at: 0) }
                        try? file.truncate(to: Int64(old.count))
                        try? file.sync()
                        file.close()
                    }
                }
                if let path = change.created { try? base.remove(path) }
            }
            s.names = []
            s.generation += 1
        }
    }

    /// Flips bit `bit` of the byte at `offset` in `path`, durably (media damage).
    public func flipBit(_ path: String, at offset: Int64, bit: Int = 0) throws(StorageError) {
        let file = try base.open(path, create: false)
        defer { file.close() }
        var byte: [UInt8] = [0]
        _ = try byte.withUnsafeMutableBytes { b in
            Result { () throws(StorageError) -> Int in try file.read(into: b, at: offset) }
        }.get()
        byte[0] ^= UInt8(1 << bit)
        try byte.withUnsafeBytes { b in Result { () throws(StorageError) in try file.write(b, at: offset) } }.get()
        try file.sync()
    }

    /// Rolls `entry` back, leaving its first `keep` new bytes in place.
    private func restore(_ entry: UndoEntry, into file: StorageFile, keepingFirst keep: Int) {
        let kept = min(keep, entry.length)
        if kept < entry.oldBytes.count {
            entry.oldBytes.withUnsafeBytes { b in
                try? file.write(UnsafeRawBufferPointer(rebasing: b[kept...]), at: entry.offset + Int64(kept))
            }
        }
        let size = max(entry.sizeBefore, kept > 0 ? entry.offset + Int64(kept) : 0)
        if let current = try? file.size(), current > size { try? file.truncate(to: size) }
    }

    /// Counts a call and throws the injected error when it is due.
    func check(_ operation: Operation, generation: Int? = nil) throws(StorageError) {
        let failure: Int32? = state.withLock { s in
            s.calls[operation, default: 0] += 1
            if let g = generation, g != s.generation { return EIO }
            guard let f = s.failures[operation] else { return nil }
            if f.remaining <= 1 {
                s.failures[operation] = nil
                return f.errno
            }
            s.failures[operation] = (f.remaining - 1, f.errno)
            return nil
        }
        if let code = failure { throw .io(operation: "injected \(operation)", errno: code) }
    }

    /// Shows `event` to the observer, if any, outside every lock.
    func notify(_ operation: Operation, _ path: String, offset: Int64 = 0, _ stage: Event.Stage, failed: Bool = false) {
        guard let observer = state.withLock({ $0.observer }) else { return }
        observer(Event(operation: operation, path: path, offset: offset, stage: stage, failed: failed))
    }

    /// Records a completed write (or truncate) of `path`.
    func record(_ path: String, _ entry: UndoEntry) {
        state.withLock { s in
            var e = entry
            e.sequence = s.nextSequence
            s.nextSequence += 1
            s.files[path, default: FileRecord()].undo.append(e)
        }
    }

    /// The sequence number the next completed write gets: a sync starting now covers those below.
    var syncHorizon: Int { state.withLock { $0.nextSequence } }

    /// Books a sync of `path` that began at `horizon` and whose `fdatasync` returned: its writes
    /// become durable, or lost if a writeback failure was pending; then checks the handle's errseq
    /// `cursor` and returns the errno to report, if any.
    func finishSync(_ path: String, horizon: Int, cursor: borrowing Mutex<Int>) -> Int32? {
        state.withLock { s in
            var f = s.files[path] ?? FileRecord()
            let covered = f.undo.prefix { $0.sequence < horizon }.count
            if let code = f.pendingWritebackFailure {
                f.pendingWritebackFailure = nil
                f.lost += f.undo.prefix(covered)
                f.writebackErrors += 1
                f.errorSeen = false
                f.lastErrno = code
            }
            f.undo.removeFirst(covered)
            let report: Int32? = cursor.withLock { c in
                guard c < f.writebackErrors else { return nil }
                c = f.writebackErrors
                return f.lastErrno
            }
            if report != nil { f.errorSeen = true }
            s.files[path] = f
            return report
        }
    }

    /// Where a handle opened now starts its errseq cursor (Linux `errseq_sample`: an error no
    /// handle has reported yet is reported to new handles too).
    func errorCursor(for path: String) -> Int {
        state.withLock { s in
            guard let f = s.files[path] else { return 0 }
            return f.errorSeen ? f.writebackErrors : 0
        }
    }

    func stripe(_ path: String) -> PathLock {
        var h: UInt32 = 2_166_136_261
        for b in path.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return writeStripes[Int(h % UInt32(writeStripes.count))]
    }

    var generation: Int { state.withLock { $0.generation } }

    /// Opens `path` through the real file system, wrapped to track durability.
    public func open(_ path: String, create: Bool) throws(StorageError) -> StorageFile {
        try check(.open)
        if create && !base.exists(path) {
            let file = try base.open(path, create: true)
            state.withLock { $0.names.append(NameChange(created: path, directories: [directoryOf(path)])) }
            return FaultInjectingFile(base: file, owner: self, generation: generation)
        }
        return FaultInjectingFile(base: try base.open(path, create: create), owner: self, generation: generation)
    }

    /// Whether `path` exists.
    public func exists(_ path: String) -> Bool { base.exists(path) }

    /// Renames, moving the durability record along.
    public func rename(_ from: String, to: String) throws(StorageError) {
        try check(.rename)
        let displaced = base.exists(to) ? try base.readSmallFile(to) : nil
        try base.rename(from, to: to)
        state.withLock { s in
            s.files[to] = s.files.removeValue(forKey: from)
            s.names.append(NameChange(renamed: (from, to, displaced), directories: [directoryOf(from), directoryOf(to)]))
        }
    }

    /// Removes `path` and forgets its durability record.
    public func remove(_ path: String) throws(StorageError) {
        try base.remove(path)
        state.withLock { _ = $0.files.removeValue(forKey: path) }
    }

    /// Syncs the directory (counted; may be made to fail).
    public func syncDirectory(_ directory: String) throws(StorageError) {
        try check(.syncDirectory)
        try base.syncDirectory(directory)
        state.withLock { s in
            for i in s.names.indices { s.names[i].directories.remove(directory) }
            s.names.removeAll { $0.directories.isEmpty }
        }
    }

    /// Creates the directory.
    public func makeDirectory(_ directory: String) throws(StorageError) {
        try base.makeDirectory(directory)
    }
}

/// A handle of `FaultInjectingFileSystem`: one open file description, with its own errseq cursor.
final class FaultInjectingFile: StorageFile, Sendable {
    let base: StorageFile
    let owner: FaultInjectingFileSystem
    let generation: Int
    /// Writeback errors of the path this handle has reported (Linux `file->f_wb_err`).
    let errorCursor: Mutex<Int>

    init(base: StorageFile, owner: FaultInjectingFileSystem, generation: Int) {
        self.base = base
        self.owner = owner
        self.generation = generation
        self.errorCursor = Mutex(owner.errorCursor(for: base.path))
    }

    var descriptor: Int32 { base.descriptor }
    var path: String { base.path }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        owner.notify(.read, path, offset: offset, .entered)
        try owner.check(.read, generation: generation)
        return try base.read(into: buffer, at: offset)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) {
        owner.notify(.write, path, offset: offset, .entered)
        try owner.crashLock.shared { () throws(StorageError) in
            try owner.check(.write, generation: generation)
            owner.notify(.write, path, offset: offset, .inside)
            try owner.stripe(path).lock.withLock { _ throws(StorageError) in
                let before = try base.size()
                let oldCount = max(0, min(Int64(bytes.count), before - offset))
                var old = [UInt8](repeating: 0, count: Int(oldCount))
                if oldCount > 0 {
                    _ = try old.withUnsafeMutableBytes { b in
                        Result { () throws(StorageError) -> Int in try base.read(into: b, at: offset) }
                    }.get()
                }
                // Recorded even when the write fails part-way: some of its bytes may have landed.
                defer { owner.record(path, .init(sequence: 0, offset: offset, length: bytes.count, oldBytes: old, sizeBefore: before)) }
                try base.write(bytes, at: offset)
            }
        }
    }

    func sync() throws(StorageError) {
        owner.notify(.sync, path, .entered)
        var failed = true
        defer { owner.notify(.sync, path, .returning, failed: failed) }
        try owner.crashLock.shared { () throws(StorageError) in
            try owner.check(.sync, generation: generation)
            owner.notify(.sync, path, .inside)
            let horizon = owner.syncHorizon
            try base.sync()
            if let code = owner.finishSync(path, horizon: horizon, cursor: errorCursor) {
                throw .io(operation: "fdatasync \(path) (writeback)", errno: code)
            }
        }
        failed = false
    }

    func size() throws(StorageError) -> Int64 { try base.size() }

    func truncate(to size: Int64) throws(StorageError) {
        try owner.crashLock.shared { () throws(StorageError) in
            try owner.check(.truncate, generation: generation)
            try owner.stripe(path).lock.withLock { _ throws(StorageError) in
                let before = try base.size()
                var old: [UInt8] = []
                if size < before {
                    old = [UInt8](repeating: 0, count: Int(before - size))
                    _ = try old.withUnsafeMutableBytes { b in
                        Result { () throws(StorageError) -> Int in try base.read(into: b, at: size) }
                    }.get()
                }
                try base.truncate(to: size)
                owner.record(path, .init(sequence: 0, offset: size, length: old.count, oldBytes: old, sizeBefore: before))
            }
        }
    }

    func preallocate(_ size: Int64) throws(StorageError) {
        try owner.check(.preallocate, generation: generation)
        try base.preallocate(size)
    }

    func close() { base.close() }
}

/// One stripe of the per-path write locks.
final class PathLock: Sendable {
    let lock = Mutex(())
}

/// A reader-writer lock: file calls share it, `crash()` holds it alone.
///
/// It prefers the writer: glibc's default prefers readers, so threads that keep overlapping
/// their file calls could hold `crash()` off indefinitely (seen: minutes on a loaded machine).
final class CrashLock: @unchecked Sendable {
    // Only used through pthread calls, which synchronise it.
    private let rw = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init() {
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(rw, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(rw)
        rw.deallocate()
    }

    func shared<R>(_ body: () throws(StorageError) -> R) throws(StorageError) -> R {
        pthread_rwlock_rdlock(rw)
        defer { pthread_rwlock_unlock(rw) }
        return try body()
    }

    func exclusive(_ body: () -> Void) {
        pthread_rwlock_wrlock(rw)
        defer { pthread_rwlock_unlock(rw) }
        body()
    }
}
