import BFSCore

extension StoreVolumes {
    /// Opens the volume in `blockPath`/`indexPath` (files copied or pulled from another replica),
    /// runs recovery, registers it as active volume `id` and rewrites the volume list (bfs
    /// `BulkVolume`). A volume listed but failed to open under `id` is replaced: rebuilding a
    /// broken replica is what this is for. Unlike bfs, an opened volume is closed again, not
    /// leaked, when `id` turns out to exist.
    ///
    /// Crash window: after the open (recovery may have repaired the files) but before the list
    /// rewrite, the files exist and no list names them; a retry opens them again.
    @discardableResult
    public func bulkVolume(id: VolumeID, blockPath: String, indexPath: String) throws(StorageError) -> Volume {
        try admin.withLock { _ throws(StorageError) -> Volume in
            if state.withLock({ $0.active[id] != nil }) { throw .volumeExists }
            let volume = try Volume(id: id, blockPath: blockPath, indexPath: indexPath,
                                    fileSystem: fileSystem, settings: settings)
            let entry = VolumeListEntry(blockPath: blockPath, indexPath: indexPath, id: id)
            let active: [VolumeListEntry]? = state.withLock { s in
                if s.active[id] != nil { return nil }
                s.active[id] = volume
                s.activeEntries[id] = entry
                s.failed[id] = nil
                return s.activeEntries.values.sorted { $0.id < $1.id }
            }
            guard let active else {
                volume.close()
                throw .volumeExists
            }
            try fileSystem.replaceAtomically(volumeListPath, with: Array(VolumeListFormat.encode(active).utf8))
            return volume
        }
    }
}
