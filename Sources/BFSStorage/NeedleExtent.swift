import Dispatch
import Synchronization

/// An open block file shared by a volume and its in-flight reads.
///
/// The descriptor is closed when the last holder lets go: a volume that swaps or closes its block
/// only drops its own reference, so a `sendfile` still running on a `NeedleExtent` keeps the file
/// (and, if it was unlinked, its blocks) alive until the HTTP layer releases the extent.
public final class BlockHandle: Sendable {
    /// The block file.
    public let file: StorageFile
    private let retired = Atomic(false)

    init(file: StorageFile) {
        self.file = file
    }

    /// Marks the block as replaced by a compaction (its file is about to be unlinked): the last
    /// descriptor of an unlinked file frees all of its disk blocks inside `close(2)`, seconds
    /// for a multi-GiB block, and the last holder may be a read lease dropped on a loop thread.
    func retire() {
        retired.store(true, ordering: .releasing)
    }

    deinit {
        guard retired.load(ordering: .acquiring) else { return file.close() }
        let file = self.file
        BlockHandle.closer.async { file.close() }
    }

    /// Where retired blocks are closed: one thread, off every loop and request path.
    private static let closer = DispatchQueue(label: "bfs-retired-block-close", qos: .utility)
}

/// Where a located needle's bytes are, for `sendfile(2)` or a verifying `pread`.
///
/// Holding the extent is the read lease: it keeps the block descriptor open (see `BlockHandle`).
/// Drop it when the response is sent.
public struct NeedleExtent: Sendable {
    /// The block file holding the needle (keeps the descriptor alive).
    public let block: BlockHandle
    /// The parsed needle header.
    public let header: NeedleHeader
    /// Byte offset of the needle in the block file.
    public let needleOffset: Int64

    /// The descriptor to `sendfile` from.
    public var descriptor: Int32 { block.file.descriptor }
    /// Byte offset of the data in the block file.
    public var dataOffset: Int64 { needleOffset + Int64(NeedleFormat.headerSize) }
    /// Data length in bytes.
    public var dataSize: Int { header.dataSize }
    /// The needle's total padded size, for a small-needle path that reads it whole.
    public var totalSize: Int { header.totalSize }

    /// Reads the whole needle with one `pread`, checks footer, CRC and padding, returns the data.
    public func readVerified() throws(StorageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: totalSize)
        let file = block.file
        let at = needleOffset
        let n = try bytes.withUnsafeMutableBytes { b in
            Result { () throws(StorageError) -> Int in try file.read(into: b, at: at) }
        }.get()
        guard n == totalSize else { throw .truncated(offset: needleOffset) }
        let h = header
        try bytes.withUnsafeBytes { b in
            Result { () throws(StorageError) in try NeedleFormat.verifyBody(b, at: 0, header: h, fileOffset: at) }
        }.get()
        return Array(bytes[NeedleFormat.headerSize..<(NeedleFormat.headerSize + dataSize)])
    }
}
