/// Naming and creation of volume files (reference/bfs-v1.md §1.1, §1.8).
public enum VolumeFiles {
    /// `_free_block_<n>`, the block name of free volume `n` (its index adds `.idx`).
    public static func freeBlockName(_ n: Int) -> String { "_free_block_\(n)" }

    /// `<vid>_<i>`, the block name of an active volume (its index adds `.idx`).
    public static func activeBlockName(id: Int32, generation i: Int) -> String { "\(id)_\(i)" }

    /// The free-volume number in a `_free_block_<n>` path, if it is one.
    public static func freeNumber(in path: String) -> Int? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard name.hasPrefix("_free_block_") else { return nil }
        return Int(name.dropFirst("_free_block_".count).prefix { $0.isNumber })
    }

    /// Creates an empty volume: block header written, `preallocation` bytes reserved (KEEP_SIZE),
    /// an empty index, both synced and their directories synced, so the new names survive a crash.
    /// Refuses to touch existing files.
    public static func create(blockPath: String, indexPath: String, fileSystem fs: FileSystem,
                              preallocation: Int64) throws(StorageError) {
        if fs.exists(blockPath) { throw .fileExists(path: blockPath) }
        if fs.exists(indexPath) { throw .fileExists(path: indexPath) }
        do {
            let block = try fs.open(blockPath, create: true)
            defer { block.close() }
            try block.preallocate(preallocation)
            try SuperBlockFormat.makeHeader().withUnsafeBytes { b in
                Result { () throws(StorageError) in try block.write(b, at: 0) }
            }.get()
            try block.sync()
            let index = try fs.open(indexPath, create: true)
            defer { index.close() }
            try index.sync()
            try fs.syncDirectory(directoryOf(blockPath))
            if directoryOf(indexPath) != directoryOf(blockPath) { try fs.syncDirectory(directoryOf(indexPath)) }
        } catch {
            try? fs.remove(blockPath)
            try? fs.remove(indexPath)
            throw error
        }
    }
}
