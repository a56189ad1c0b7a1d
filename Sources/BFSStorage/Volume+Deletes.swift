import Dispatch
import Synchronization

/// Carrying deletes from one replica to another: a pulled copy is taken from a snapshot, and
/// deletes acknowledged on the peer afterwards (or whose flag byte landed in a range already
/// copied) would be live on the copy. The peer lists its deleted keys; the copy applies them
/// before it is registered (`VolumePuller`).
extension Volume {
    /// Changes whenever a compaction swaps the volume's files (random per open volume and per
    /// swap, so a reopened or replaced volume does not repeat an old value). A compaction drops
    /// deleted keys from the map, so `deletedKeys()` only covers the deletes made since a
    /// snapshot while the generation is still the snapshot's.
    public var generation: UInt64 { shared.withLock { $0.generation } }

    /// Keys whose newest needle is flagged deleted.
    /// Walked in chunks (`collectMap`), exact: should uploads move entries during the walk, it is
    /// walked again under the append lock, still in chunks, so reads are never stalled behind it
    /// (appends wait for that second walk).
    public func deletedKeys() -> [Int64] {
        collectMap(exact: true) { key, location in location.isDeleted ? key : nil }
    }

    /// Deletes each of `keys` that is live here and waits until every one is durable (the
    /// deletes share group-commit syncs). Keys absent or already deleted are skipped. Returns
    /// how many were deleted. Blocks: a worker thread only.
    @discardableResult
    public func applyDeletes(_ keys: [Int64]) throws(StorageError) -> Int {
        let group = DispatchGroup()
        let outcome = Mutex<(deleted: Int, error: StorageError?)>((0, nil))
        for key in keys {
            group.enter()
            delete(key: key) { result in
                outcome.withLock { o in
                    switch result {
                    case .success: o.deleted += 1
                    case .failure(.needleNotFound), .failure(.needleDeleted): break
                    case .failure(let e): o.error = o.error ?? e
                    }
                }
                group.leave()
            }
        }
        group.wait()
        let (deleted, error) = outcome.withLock { ($0.deleted, $0.error) }
        if let error { throw error }
        return deleted
    }
}
