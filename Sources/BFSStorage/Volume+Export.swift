/// A frozen view of a live volume's files for copying it to another store (the admin
/// `/volume_file` endpoint a pulling peer reads).
///
/// Consistency: the snapshot takes, under the volume's state lock, the open block handle, the
/// durable end of the block, and a fresh descriptor on the index file of the same generation.
/// - Below the durable end the block only changes by delete flags written in place (one byte,
///   old or new value, either a valid needle state); appends land past it.
/// - A compaction that swaps files meanwhile does not matter: the snapshot keeps the old
///   descriptors, whose files stay readable (even unlinked) until the snapshot is dropped.
/// - Index records are written only after their needles are durable; those of needles past the
///   captured block end are implausible to recovery, which truncates the index there, and a
///   torn last record is cut by rounding the size down to whole records. Recovery on the
///   receiving side then rescans the block tail past the last index record.
public final class VolumeSnapshot: Sendable {
    /// The block file (kept open by the handle).
    public let block: BlockHandle
    /// Bytes of the block to copy (the durable end when the snapshot was taken).
    public let blockSize: Int64
    /// The index file of the same generation (closed when the snapshot is released).
    public let index: StorageFile
    /// Bytes of the index to copy (whole records).
    public let indexSize: Int64
    /// The volume's `generation` when the snapshot was taken.
    public let generation: UInt64

    init(block: BlockHandle, blockSize: Int64, index: StorageFile, indexSize: Int64, generation: UInt64) {
        self.block = block
        self.blockSize = blockSize
        self.index = index
        self.indexSize = indexSize
        self.generation = generation
    }

    deinit {
        index.close()
    }

    /// Reads up to `buffer.count` bytes of the block or index at `offset`, never past the
    /// snapshot's size for that file.
    public func read(index isIndex: Bool, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(StorageError) -> Int {
        let size = isIndex ? indexSize : blockSize
        guard offset < size else { return 0 }
        let count = Int(min(Int64(buffer.count), size - offset))
        let file = isIndex ? index : block.file
        return try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), at: offset)
    }
}

extension Volume {
    /// Takes a consistent snapshot of the volume's files (see `VolumeSnapshot`). Opens one
    /// descriptor: call it off the loops.
    public func snapshot() throws(StorageError) -> VolumeSnapshot {
        try shared.withLock { (s: inout Shared) throws(StorageError) -> VolumeSnapshot in
            if s.closed { throw .volumeClosed }
            // Opened under the lock: a compaction swaps paths under it and unlinks only after.
            let index = try fileSystem.open(s.indexPath, create: false)
            let size: Int64
            do throws(StorageError) { size = try index.size() } catch {
                index.close()
                throw error
            }
            let whole = size / Int64(IndexRecord.size) * Int64(IndexRecord.size)
            return VolumeSnapshot(block: s.block, blockSize: s.durableEnd, index: index, indexSize: whole,
                                  generation: s.generation)
        }
    }
}
