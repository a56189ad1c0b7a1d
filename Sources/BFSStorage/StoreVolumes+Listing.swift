import BFSCore

extension StoreVolumes {
    /// The free volumes, in the order `addVolume` takes them (for `/info`'s `free_volumes`).
    public var freeVolumeEntries: [VolumeListEntry] {
        state.withLock { $0.free }
    }

    /// The volume list entry of `id` (also for volumes that failed to open), if listed.
    public func listEntry(_ id: VolumeID) -> VolumeListEntry? {
        state.withLock { $0.activeEntries[id] }
    }
}
