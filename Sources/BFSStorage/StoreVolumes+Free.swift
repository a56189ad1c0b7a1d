extension StoreVolumes {
    /// Creates `count` free volumes `_free_block_<N>` in `blockDirectory`/`indexDirectory`, then
    /// rewrites the free list. Returns how many were created (existing names are skipped, as bfs).
    /// Both directories must lie inside the data directories (`pathNotAllowed`).
    ///
    /// When one creation fails (say ENOSPC on the 3rd of 5), the volumes made before it stay:
    /// they are listed like any others, the failed number is tried again next time, and the
    /// error is `freeVolumesPartlyCreated` with the count made (bfs left them in no list and
    /// skipped their names forever).
    @discardableResult
    public func addFreeVolumes(count: Int, blockDirectory: String, indexDirectory: String) throws(StorageError) -> Int {
        try admin.withLock { _ throws(StorageError) -> Int in
            _ = try pathGuard.confine(blockDirectory)
            _ = try pathGuard.confine(indexDirectory)
            try fileSystem.makeDirectory(blockDirectory)
            try fileSystem.makeDirectory(indexDirectory)
            var created: [VolumeListEntry] = []
            var n = state.withLock { $0.lastFreeNumber }
            var failure: StorageError?
            for _ in 0..<count {
                let name = VolumeFiles.freeBlockName(n + 1)
                let entry = VolumeListEntry(blockPath: "\(blockDirectory)/\(name)", indexPath: "\(indexDirectory)/\(name).idx", id: -1)
                if !fileSystem.exists(entry.blockPath) && !fileSystem.exists(entry.indexPath) {
                    do throws(StorageError) {
                        try VolumeFiles.create(blockPath: entry.blockPath, indexPath: entry.indexPath,
                                               fileSystem: fileSystem, preallocation: settings.blockPreallocation)
                    } catch {
                        failure = error
                        break
                    }
                    created.append(entry)
                }
                n += 1
            }
            let free = state.withLock { s in
                s.lastFreeNumber = n
                s.free += created
                return s.free
            }
            if !created.isEmpty || failure == nil { try writeList(freeListPath, free) }
            if let failure {
                if created.isEmpty { throw failure }
                throw .freeVolumesPartlyCreated(created: created.count, cause: failure)
            }
            return created.count
        }
    }

    /// The first free volume whose files are both there; entries whose files vanished (removed by
    /// hand, or a crash inside an earlier `addVolume`) are dropped from the list on the way, so
    /// one bad entry does not fail every later `addVolume`. Runs under `admin`.
    func firstUsableFreeVolume() throws(StorageError) -> VolumeListEntry? {
        let free = state.withLock { $0.free }
        guard let usable = free.firstIndex(where: { Self.filesExist($0, fileSystem) }) else {
            if !free.isEmpty { try dropFreeEntries(free) }
            return nil
        }
        if usable > 0 { try dropFreeEntries(Array(free[..<usable])) }
        return free[usable]
    }

    private func dropFreeEntries(_ gone: [VolumeListEntry]) throws(StorageError) {
        let remaining = state.withLock { s in
            s.free.removeAll { gone.contains($0) }
            return s.free
        }
        try writeList(freeListPath, remaining)
    }

    /// Whether both files of `entry` exist.
    static func filesExist(_ entry: VolumeListEntry, _ fileSystem: FileSystem) -> Bool {
        fileSystem.exists(entry.blockPath) && fileSystem.exists(entry.indexPath)
    }
}
