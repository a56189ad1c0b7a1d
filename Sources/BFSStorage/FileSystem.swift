/// An open file as the storage engine uses it: positional I/O, data sync, sizing.
///
/// All volume I/O goes through this seam (as LevelDB's `Env`), so tests can swap in
/// a fault-injecting file system to simulate power loss, torn writes, bit flips and I/O errors.
/// Implementations are safe to call from several threads at once (pread/pwrite are positional).
public protocol StorageFile: AnyObject, Sendable {
    /// The operating-system descriptor, for `sendfile(2)` on the read path.
    var descriptor: Int32 { get }
    /// The path the file was opened at.
    var path: String { get }
    /// Reads up to `buffer.count` bytes at `offset`; returns fewer only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int
    /// Writes all of `bytes` at `offset` (retrying short writes).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(StorageError)
    /// Writes `buffers` back to back from `offset`, all of them (`pwritev`; by default one
    /// `write` per buffer, which is what fault-injecting files keep).
    func write(gathering buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError)
    /// Makes every completed write durable (`fdatasync`).
    func sync() throws(StorageError)
    /// The current file size in bytes.
    func size() throws(StorageError) -> Int64
    /// Sets the file size (`ftruncate`).
    func truncate(to size: Int64) throws(StorageError)
    /// Reserves disk blocks for `[0, size)` without changing the file size (`fallocate` KEEP_SIZE).
    func preallocate(_ size: Int64) throws(StorageError)
    /// Closes the descriptor; further calls fail.
    func close()
}

extension StorageFile {
    /// One `write` per buffer, in order.
    public func write(gathering buffers: [UnsafeRawBufferPointer], at offset: Int64) throws(StorageError) {
        var at = offset
        for b in buffers {
            try write(b, at: at)
            at += Int64(b.count)
        }
    }
}

/// Directory-level operations and the factory of `StorageFile`s.
public protocol FileSystem: Sendable {
    /// Opens `path` read-write, creating it (empty) when `create` is true and it is missing.
    func open(_ path: String, create: Bool) throws(StorageError) -> StorageFile
    /// Whether `path` exists.
    func exists(_ path: String) -> Bool
    /// Renames `from` to `to` (atomic, replaces `to`).
    func rename(_ from: String, to: String) throws(StorageError)
    /// Removes `path`.
    func remove(_ path: String) throws(StorageError)
    /// Makes renames, creations and removals in `directory` durable (`fsync` of the directory).
    func syncDirectory(_ directory: String) throws(StorageError)
    /// Creates `directory` and its parents when missing.
    func makeDirectory(_ directory: String) throws(StorageError)
}

extension FileSystem {
    /// The whole content of a small file (volume lists), or nil when it does not exist.
    public func readSmallFile(_ path: String) throws(StorageError) -> [UInt8]? {
        guard exists(path) else { return nil }
        let file = try open(path, create: false)
        defer { file.close() }
        let size = Int(try file.size())
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = try out.withUnsafeMutableBytes { b in
                Result { () throws(StorageError) -> Int in
                    try file.read(into: UnsafeMutableRawBufferPointer(rebasing: b[done...]), at: Int64(done))
                }
            }.get()
            if n == 0 { break }
            done += n
        }
        return Array(out[0..<done])
    }

    /// Replaces `path` atomically with `bytes`: write a temp file, sync it, rename it over `path`,
    /// sync the directory. A crash at any step leaves either the old or the new content.
    public func replaceAtomically(_ path: String, with bytes: [UInt8]) throws(StorageError) {
        let temp = path + ".tmp"
        if exists(temp) { try remove(temp) }
        let file = try open(temp, create: true)
        do {
            try bytes.withUnsafeBytes { b in
                Result { () throws(StorageError) in try file.write(b, at: 0) }
            }.get()
            try file.sync()
        } catch {
            file.close()
            throw error
        }
        file.close()
        try rename(temp, to: path)
        try syncDirectory(directoryOf(path))
    }
}

/// The directory part of `path` (`.` when it has none).
public func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}
