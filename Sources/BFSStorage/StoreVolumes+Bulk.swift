import BFSCore

extension StoreVolumes {
    /// Opens the volume in `blockPath`/`indexPath` (files copied or pulled from another replica),
    /// runs recovery, registers it as active volume `id` and rewrites the volume list (bfs
    /// `BulkVolume`). A volume listed but failed to open under `id` is replaced: rebuilding a
    /// broken replica is what this is for. Unlike bfs, an opened volume is closed again, not
    /// leaked, when `id` turns out to exist. The paths are checked first (`checkBulkFiles`),
    /// whether they come from an admin request or from coordination.
    ///
    /// The open (recovery may rescan a whole block) and `prepare` run without the admin lock: a
    /// compaction's commit step takes that lock, so holding it here for minutes would hold every
    /// compaction back that long. The id and the files' ownership are checked again under the
    /// lock before the volume is registered.
    ///
    /// Crash window: after the open (recovery may have repaired the files) but before the list
    /// rewrite, the files exist and no list names them; a retry opens them again.
    /// `prepare` runs on the opened volume before it is registered (a pull applies the deletes
    /// its peer made since the snapshot); when it throws, the volume is closed, not registered.
    @discardableResult
    public func bulkVolume(id: VolumeID, blockPath: String, indexPath: String,
                           prepare: (Volume) throws(StorageError) -> Void = { _ in }) throws(StorageError) -> Volume {
        if state.withLock({ $0.active[id] != nil }) { throw .volumeExists }
        try checkBulkFiles(id: id, blockPath: blockPath, indexPath: indexPath)
        let volume = try Volume(id: id, blockPath: blockPath, indexPath: indexPath,
                                fileSystem: fileSystem, settings: settings)
        do throws(StorageError) { try prepare(volume) } catch {
            volume.close()
            throw error
        }
        let entry = VolumeListEntry(blockPath: blockPath, indexPath: indexPath, id: id)
        try admin.withLock { _ throws(StorageError) in
            do throws(StorageError) { try checkOwnership(id: id, blockPath: blockPath, indexPath: indexPath) } catch {
                volume.close()
                throw error
            }
            let active: [VolumeListEntry]? = state.withLock { s in
                if s.active[id] != nil { return nil }
                s.active[id] = volume
                changes.add(1, ordering: .releasing)
                s.activeEntries[id] = entry
                s.failed[id] = nil
                return s.activeEntries.values.sorted { $0.id < $1.id }
            }
            guard let active else {
                volume.close()
                throw .volumeExists
            }
            try fileSystem.replaceAtomically(volumeListPath, with: Array(VolumeListFormat.encode(active).utf8))
        }
        return volume
    }
}

extension StoreVolumes {
    /// Refuses, before anything is opened or created, `blockPath`/`indexPath` for bulk loading
    /// volume `id` when either lies outside the data directories (`pathNotAllowed`), names a
    /// file the store owns (another volume's, a free volume's, a list file: `fileInUse`), or
    /// both name one file, or either holds a character the volume list cannot (`pathNotListable`);
    /// and when the block is missing or does not start with a bfs super block. The index may be
    /// missing: recovery rebuilds it from the block.
    public func checkBulkFiles(id: VolumeID, blockPath: String, indexPath: String) throws(StorageError) {
        let block = try checkOwnership(id: id, blockPath: blockPath, indexPath: indexPath)
        let file = try fileSystem.open(block, create: false)
        defer { file.close() }
        var header = [UInt8](repeating: 0, count: SuperBlockFormat.headerSize)
        let n = try header.withUnsafeMutableBytes { b in
            Result { () throws(StorageError) -> Int in try file.read(into: b, at: 0) }
        }.get()
        guard n == header.count else { throw .badSuperBlockMagic }
        try SuperBlockFormat.validate(header)
    }

    /// The confinement and ownership part of `checkBulkFiles`; returns the canonical block path.
    @discardableResult
    func checkOwnership(id: VolumeID, blockPath: String, indexPath: String) throws(StorageError) -> String {
        for path in [blockPath, indexPath] where !VolumeListFormat.canHold(path) { throw .pathNotListable(path: path) }
        let block = try pathGuard.confine(blockPath)
        let index = try pathGuard.confine(indexPath)
        let owned = ownedFiles(except: id)
        let blockID = VolumePathGuard.fileID(block)
        if let blockID, owned.contains(blockID) { throw .fileInUse(path: blockPath) }
        if let indexID = VolumePathGuard.fileID(index), owned.contains(indexID) || indexID == blockID {
            throw .fileInUse(path: indexPath)
        }
        return block
    }

    /// Identities of every file the store owns, but those of volume `id` (a failed volume is
    /// rebuilt from its own files).
    func ownedFiles(except id: VolumeID) -> Set<VolumePathGuard.FileID> {
        let (active, free) = state.withLock { s in (s.activeEntries.filter { $0.key != id }.values, s.free) }
        var paths = [volumeListPath, freeListPath]
        for entry in Array(active) + free { paths += [entry.blockPath, entry.indexPath] }
        return Set(paths.compactMap(VolumePathGuard.fileID))
    }
}
