extension StoreVolumes {
    /// Creates `count` free volumes `_free_block_<N>` in `blockDirectory`/`indexDirectory`, then
    /// rewrites the free list. Returns how many were created (existing names are skipped, as bfs).
    /// Both directories must lie inside the data directories (`pathNotAllowed`) and be paths the
    /// free list can hold (`pathNotListable`).
    ///
    /// The free list names the new volumes before their files are made: a crash while making
    /// them leaves entries whose files are missing, which loading drops, never files in no list
    /// (each holding its preallocated space, its number skipped for ever).
    ///
    /// When one creation fails (say ENOSPC on the 3rd of 5), the volumes made before it stay:
    /// they are listed like any others, the failed number is tried again next time, and the
    /// error is `freeVolumesPartlyCreated` with the count made (bfs left them in no list and
    /// skipped their names forever).
    @discardableResult
    public func addFreeVolumes(count: Int, blockDirectory: String, indexDirectory: String) throws(StorageError) -> Int {
        for directory in [blockDirectory, indexDirectory] where !VolumeListFormat.canHold(directory) {
            throw .pathNotListable(path: directory)
        }
        return try admin.withLock { _ throws(StorageError) -> Int in
            _ = try pathGuard.confine(blockDirectory)
            _ = try pathGuard.confine(indexDirectory)
            try fileSystem.makeDirectory(blockDirectory)
            try fileSystem.makeDirectory(indexDirectory)
            let (first, listed) = state.withLock { ($0.lastFreeNumber, $0.free) }
            var planned: [(number: Int, entry: VolumeListEntry)] = []
            for number in stride(from: first + 1, through: first + count, by: 1) {
                let name = VolumeFiles.freeBlockName(number)
                let entry = VolumeListEntry(blockPath: "\(blockDirectory)/\(name)", indexPath: "\(indexDirectory)/\(name).idx", id: -1)
                if !fileSystem.exists(entry.blockPath) && !fileSystem.exists(entry.indexPath) { planned.append((number, entry)) }
            }
            if !planned.isEmpty { try writeList(freeListPath, listed + planned.map(\.entry)) }
            var created: [VolumeListEntry] = []
            var last = first + count
            var failure: StorageError?
            for (number, entry) in planned {
                do throws(StorageError) {
                    try VolumeFiles.create(blockPath: entry.blockPath, indexPath: entry.indexPath,
                                           fileSystem: fileSystem, preallocation: settings.blockPreallocation)
                } catch {
                    failure = error
                    last = number - 1
                    break
                }
                created.append(entry)
            }
            let free = state.withLock { s in
                s.lastFreeNumber = last
                s.free += created
                return s.free
            }
            if let failure {
                // The entries never made leave the list; should this rewrite fail too, loading
                // drops them (their files are missing).
                try? writeList(freeListPath, free)
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
