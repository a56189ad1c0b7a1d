import BFSCore
import Synchronization

/// The volumes of one store: the active ones by id, the free (pre-allocated) ones, those that
/// failed to open, and the two list files that persist them (`VolumeListFormat`).
///
/// Calls block on disk I/O (open, recovery, fsync, rename): run them off loop threads.
public final class StoreVolumes: Sendable {
    struct State: ~Copyable {
        var active: [VolumeID: Volume] = [:]
        var activeEntries: [VolumeID: VolumeListEntry] = [:]
        var free: [VolumeListEntry] = []
        var failed: [VolumeID: StorageError] = [:]
        var lastFreeNumber = 0
    }

    let fileSystem: FileSystem
    let settings: VolumeSettings
    /// Path of the active volume list (`volume.idx`).
    public let volumeListPath: String
    /// Path of the free volume list (`free_volume.idx`).
    public let freeListPath: String
    let state: Mutex<State>
    /// Serialises list rewrites and free-volume changes (slow: they fsync) without blocking lookups.
    let admin = Mutex(())
    /// Counts changes of the set of open volumes (see `generation`).
    let changes = Atomic<Int>(0)
    /// Where admin parameters and coordination records may point (`dataDirectories`).
    let pathGuard: VolumePathGuard
    /// Free list entries dropped at load because their block or index file was missing.
    public let droppedFreeEntries: [VolumeListEntry]

    /// Loads both lists and opens every active volume. A volume that fails to open is recorded in
    /// `failedVolumes` and the rest still load; a malformed list file is an error.
    /// `dataDirectories` confines the files `bulkVolume` and `addFreeVolumes` may touch (nil: any).
    public init(fileSystem: FileSystem, volumeListPath: String, freeListPath: String,
                settings: VolumeSettings = VolumeSettings(), dataDirectories: [String]? = nil) throws(StorageError) {
        self.fileSystem = fileSystem
        pathGuard = VolumePathGuard(directories: dataDirectories)
        self.settings = settings
        self.volumeListPath = volumeListPath
        self.freeListPath = freeListPath
        var s = State()
        let activeText = try fileSystem.readSmallFile(volumeListPath) ?? []
        for entry in try VolumeListFormat.parse(String(decoding: activeText, as: UTF8.self)) {
            s.activeEntries[entry.id] = entry
            do {
                s.active[entry.id] = try Volume(id: entry.id, blockPath: entry.blockPath, indexPath: entry.indexPath,
                                                fileSystem: fileSystem, settings: settings)
            } catch {
                s.failed[entry.id] = error
            }
        }
        let freeText = try fileSystem.readSmallFile(freeListPath) ?? []
        let listedFree = try VolumeListFormat.parse(String(decoding: freeText, as: UTF8.self))
        s.lastFreeNumber = listedFree.compactMap { VolumeFiles.freeNumber(in: $0.blockPath) }.max() ?? 0
        s.free = listedFree.filter { Self.filesExist($0, fileSystem) }
        droppedFreeEntries = listedFree.filter { !Self.filesExist($0, fileSystem) }
        let free = s.free
        state = Mutex(s)
        // A crash between `addVolume`'s renames and its list rewrite leaves a free entry whose
        // files are gone; left listed, every later `addVolume` would fail on it. A failed
        // rewrite does not stop the store: the next list change writes the same list.
        if !droppedFreeEntries.isEmpty { try? writeList(freeListPath, free) }
    }

    /// The open volume `id`.
    public func volume(_ id: VolumeID) -> Volume? {
        state.withLock { $0.active[id] }
    }

    /// Changes whenever a volume is opened (added, bulk-loaded): a caller that keeps the answers
    /// of `openVolumes` checks this one atomic load instead of taking the lock per lookup.
    /// Read it before taking the snapshot it is to guard.
    public var generation: Int {
        changes.load(ordering: .acquiring)
    }

    /// The open volumes by id, as of now.
    public var openVolumes: [VolumeID: Volume] {
        state.withLock { $0.active }
    }

    /// Ids of the open volumes, sorted.
    public var volumeIDs: [VolumeID] {
        state.withLock { $0.active.keys.sorted() }
    }

    /// Volumes listed but not opened, with the reason.
    public var failedVolumes: [VolumeID: StorageError] {
        state.withLock { $0.failed }
    }

    /// How many free volumes are ready.
    public var freeCount: Int {
        state.withLock { $0.free.count }
    }

    /// Turns the first free volume into active volume `id`: renames its index then its block to
    /// `<vid>_<i>` (directories synced), opens it, and rewrites both lists. Crash windows: between
    /// the renames and the list rewrites the files exist under their new names but neither list
    /// names them, and the free list still names the old files; loading drops that free entry
    /// (its files are gone), so later `addVolume`s do not fail on it. The free list is rewritten
    /// last, so the volume is never listed twice.
    @discardableResult
    public func addVolume(_ id: VolumeID) throws(StorageError) -> Volume {
        try admin.withLock { _ throws(StorageError) -> Volume in
            if state.withLock({ $0.active[id] != nil }) { throw .volumeExists }
            guard let free = try firstUsableFreeVolume() else { throw .noFreeVolume }
            let blockDir = directoryOf(free.blockPath)
            let indexDir = directoryOf(free.indexPath)
            let (blockPath, indexPath) = freshNames(id: id, blockDirectory: blockDir, indexDirectory: indexDir)
            let entry = VolumeListEntry(blockPath: blockPath, indexPath: indexPath, id: id)
            try fileSystem.rename(free.indexPath, to: entry.indexPath)
            try fileSystem.rename(free.blockPath, to: entry.blockPath)
            try fileSystem.syncDirectory(indexDir)
            if blockDir != indexDir { try fileSystem.syncDirectory(blockDir) }
            let volume: Volume
            do throws(StorageError) {
                volume = try Volume(id: id, blockPath: entry.blockPath, indexPath: entry.indexPath,
                                    fileSystem: fileSystem, settings: settings)
            } catch {
                // Put the free volume back under its free name so the free list stays true.
                try? fileSystem.rename(entry.blockPath, to: free.blockPath)
                try? fileSystem.rename(entry.indexPath, to: free.indexPath)
                try? fileSystem.syncDirectory(blockDir)
                if blockDir != indexDir { try? fileSystem.syncDirectory(indexDir) }
                throw error
            }
            let (active, remaining) = state.withLock { s in
                s.active[id] = volume
                changes.add(1, ordering: .releasing)
                s.activeEntries[id] = entry
                s.failed[id] = nil
                s.free.removeAll { $0 == free }
                return (s.activeEntries.values.sorted { $0.id < $1.id }, s.free)
            }
            try writeList(volumeListPath, active)
            try writeList(freeListPath, remaining)
            return volume
        }
    }

    /// Compacts volume `id` online into `<vid>_<i>` files beside the current ones (smallest unused
    /// `i`), rewriting the volume list at the commit point and unlinking the old files afterwards
    /// (their space returns once no read lease holds them). See `Volume.compact` for the crash
    /// windows; `hook` lets tests crash at each `CompactionStep`.
    @discardableResult
    public func compactVolume(_ id: VolumeID,
                              hook: (CompactionStep) throws(StorageError) -> Void = { _ in }) throws(StorageError) -> CompactionResult {
        guard let volume = volume(id) else { throw .volumeNotFound }
        let oldBlock = volume.blockPath, oldIndex = volume.indexPath
        let (newBlock, newIndex) = admin.withLock { _ in
            freshNames(id: id, blockDirectory: directoryOf(oldBlock), indexDirectory: directoryOf(oldIndex))
        }
        // The commit runs inside `commitLock`, which holds the admin lock (taken before the seal).
        let result = try volume.compact(toBlock: newBlock, index: newIndex, commitLock: { body throws(StorageError) in
            try admin.withLock { _ throws(StorageError) in try body() }
        }, commit: { (block, index) throws(StorageError) in
            let (previous, active) = state.withLock { s in
                let previous = s.activeEntries[id]
                s.activeEntries[id] = VolumeListEntry(blockPath: block, indexPath: index, id: id)
                return (previous, s.activeEntries.values.sorted { $0.id < $1.id })
            }
            do throws(StorageError) { try writeList(volumeListPath, active) } catch {
                // Not committed: the compaction removes the new files, so the list must go on
                // naming the old ones, in memory (every later rewrite starts from it) and on
                // disk (the rename may have landed before the directory sync failed).
                let restored = state.withLock { s in
                    s.activeEntries[id] = previous
                    return s.activeEntries.values.sorted { $0.id < $1.id }
                }
                try? writeList(volumeListPath, restored)
                throw error
            }
        }, hook: hook)
        try fileSystem.remove(oldBlock)
        try fileSystem.remove(oldIndex)
        // The unlinks are durable only with their directories: without this, a power cut could
        // bring the old files back, and their names would then be skipped by `freshNames`.
        try fileSystem.syncDirectory(directoryOf(oldBlock))
        if directoryOf(oldIndex) != directoryOf(oldBlock) { try fileSystem.syncDirectory(directoryOf(oldIndex)) }
        try hook(.oldFilesRemoved)
        return result
    }

    /// The smallest-`i` names `<vid>_<i>` with neither file existing.
    private func freshNames(id: VolumeID, blockDirectory: String, indexDirectory: String) -> (String, String) {
        var i = 0
        while true {
            let name = VolumeFiles.activeBlockName(id: id, generation: i)
            let block = "\(blockDirectory)/\(name)", index = "\(indexDirectory)/\(name).idx"
            if !fileSystem.exists(block) && !fileSystem.exists(index) { return (block, index) }
            i += 1
        }
    }

    /// Closes every open volume (each syncs and stops its flusher).
    public func close() {
        let volumes = state.withLock { Array($0.active.values) }
        for v in volumes { v.close() }
    }

    func writeList(_ path: String, _ entries: [VolumeListEntry]) throws(StorageError) {
        try fileSystem.replaceAtomically(path, with: Array(VolumeListFormat.encode(entries).utf8))
    }
}
