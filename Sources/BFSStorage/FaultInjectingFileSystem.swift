import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `FileSystem` for crash tests: real files underneath, plus a record of what is durable.
///
/// Every write and truncate keeps an undo entry (the bytes and size it replaced) until the file is
/// synced. `crash()` rolls every file back to its last sync, as a power loss would; with
/// `tearing:` the last write of one file survives only up to a byte count (a torn write, with the
/// writes before it written back). `flipBit` damages a byte as the medium would. `failNext`
/// makes the N-th next call of an operation fail with an errno (EIO, ENOSPC...).
/// Handles opened before a crash are dead afterwards: every call on them fails with EIO, so a
/// volume abandoned by the "crashed process" cannot touch the files the test reopens.
/// Renames and creations are treated as durable at once (directory syncs are not modeled).
public final class FaultInjectingFileSystem: FileSystem, Sendable {
    /// The operations `failNext` can target.
    public enum Operation: Hashable, Sendable {
        case open, read, write, sync, truncate, preallocate, rename, syncDirectory
    }

    struct UndoEntry {
        var offset: Int64
        var length: Int
        var oldBytes: [UInt8]
        var sizeBefore: Int64
    }

    struct State {
        var undo: [String: [UndoEntry]] = [:]
        var generation = 0
        var failures: [Operation: (remaining: Int, errno: Int32)] = [:]
        var calls: [Operation: Int] = [:]
    }

    let base = PosixFileSystem()
    let state = Mutex(State())

    /// A fault-free file system until told otherwise.
    public init() {}

    /// Makes the `nth` next call (1 = the very next) of `operation` fail with `errno`.
    public func failNext(_ operation: Operation, nth: Int = 1, errno code: Int32) {
        state.withLock { $0.failures[operation] = (nth, code) }
    }

    /// Cancels every pending `failNext`.
    public func clearFailures() {
        state.withLock { $0.failures = [:] }
    }

    /// How many times `operation` was called so far.
    public func calls(_ operation: Operation) -> Int {
        state.withLock { $0.calls[operation, default: 0] }
    }

    /// Whether `path` has writes that a crash would drop.
    public func hasUnsyncedWrites(_ path: String) -> Bool {
        state.withLock { !($0.undo[path]?.isEmpty ?? true) }
    }

    /// Simulates power loss: every file goes back to its content at its last sync, except that
    /// the file at `tearing.path` keeps its unsynced writes and only the first `tearing.keep` bytes
    /// of its last write. All handles open so far become dead.
    public func crash(tearing: (path: String, keep: Int)? = nil) {
        state.withLock { s in
            for (path, entries) in s.undo where !entries.isEmpty {
                guard let file = try? base.open(path, create: false) else { continue }
                defer { file.close() }
                if let tear = tearing, tear.path == path, let last = entries.last {
                    restore(last, into: file, keepingFirst: tear.keep)
                } else {
                    for entry in entries.reversed() { restore(entry, into: file, keepingFirst: 0) }
                }
            }
            s.undo = [:]
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

    func record(_ path: String, _ entry: UndoEntry) {
        state.withLock { $0.undo[path, default: []].append(entry) }
    }

    func markSynced(_ path: String) {
        state.withLock { $0.undo[path] = nil }
    }

    var generation: Int { state.withLock { $0.generation } }

    /// Opens `path` through the real file system, wrapped to track durability.
    public func open(_ path: String, create: Bool) throws(StorageError) -> StorageFile {
        try check(.open)
        return FaultInjectingFile(base: try base.open(path, create: create), owner: self, generation: generation)
    }

    /// Whether `path` exists.
    public func exists(_ path: String) -> Bool { base.exists(path) }

    /// Renames, moving the durability record along.
    public func rename(_ from: String, to: String) throws(StorageError) {
        try check(.rename)
        try base.rename(from, to: to)
        state.withLock { s in
            s.undo[to] = s.undo.removeValue(forKey: from)
        }
    }

    /// Removes `path` and forgets its durability record.
    public func remove(_ path: String) throws(StorageError) {
        try base.remove(path)
        state.withLock { _ = $0.undo.removeValue(forKey: path) }
    }

    /// Syncs the directory (counted; may be made to fail).
    public func syncDirectory(_ directory: String) throws(StorageError) {
        try check(.syncDirectory)
        try base.syncDirectory(directory)
    }

    /// Creates the directory.
    public func makeDirectory(_ directory: String) throws(StorageError) {
        try base.makeDirectory(directory)
    }
}

/// A handle of `FaultInjectingFileSystem`.
final class FaultInjectingFile: StorageFile, @unchecked Sendable {
    // Immutable after init.
    let base: StorageFile
    let owner: FaultInjectingFileSystem
    let generation: Int

    init(base: StorageFile, owner: FaultInjectingFileSystem, generation: Int) {
        self.base = base
        self.owner = owner
        self.generation = generation
    }

    var descriptor: Int32 { base.descriptor }
    var path: String { base.path }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        try owner.check(.read, generation: generation)
        return try base.read(into: buffer, at: offset)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError) {
        try owner.check(.write, generation: generation)
        let before = try base.size()
        let oldCount = max(0, min(Int64(bytes.count), before - offset))
        var old = [UInt8](repeating: 0, count: Int(oldCount))
        if oldCount > 0 {
            _ = try old.withUnsafeMutableBytes { b in
                Result { () throws(StorageError) -> Int in try base.read(into: b, at: offset) }
            }.get()
        }
        owner.record(path, .init(offset: offset, length: bytes.count, oldBytes: old, sizeBefore: before))
        try base.write(bytes, at: offset)
    }

    func sync() throws(StorageError) {
        try owner.check(.sync, generation: generation)
        try base.sync()
        owner.markSynced(path)
    }

    func size() throws(StorageError) -> Int64 { try base.size() }

    func truncate(to size: Int64) throws(StorageError) {
        try owner.check(.truncate, generation: generation)
        let before = try base.size()
        var old: [UInt8] = []
        if size < before {
            old = [UInt8](repeating: 0, count: Int(before - size))
            _ = try old.withUnsafeMutableBytes { b in
                Result { () throws(StorageError) -> Int in try base.read(into: b, at: size) }
            }.get()
        }
        owner.record(path, .init(offset: size, length: old.count, oldBytes: old, sizeBefore: before))
        try base.truncate(to: size)
    }

    func preallocate(_ size: Int64) throws(StorageError) {
        try owner.check(.preallocate, generation: generation)
        try base.preallocate(size)
    }

    func close() { base.close() }
}
