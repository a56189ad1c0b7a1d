/// Appends index hint records in batches, off the request path.
///
/// Records are added only after the needles they describe are durable (the flusher adds them
/// after its `fdatasync`), so the index never points at bytes a crash can take away; it is not
/// synced on its own schedule because recovery rescans the block tail anyway (crash window
/// "after sync, before index": the tail scan re-derives the missing records).
/// Used by one thread at a time: the flusher, or the opener before the flusher starts.
final class IndexWriter: @unchecked Sendable {
    let file: StorageFile
    private(set) var end: Int64
    private var pending: [IndexRecord] = []
    private let batch: Int

    init(file: StorageFile, end: Int64, batch: Int) {
        self.file = file
        self.end = end
        self.batch = max(1, batch)
    }

    /// Buffers `records`; writes them once a batch is full.
    func add(_ records: [IndexRecord]) {
        pending.append(contentsOf: records)
        if pending.count >= batch { try? flush() }
    }

    /// Writes every buffered record (one `pwrite`).
    func flush() throws(StorageError) {
        guard !pending.isEmpty else { return }
        var bytes = [UInt8](repeating: 0, count: pending.count * IndexRecord.size)
        bytes.withUnsafeMutableBytes { b in
            for (i, r) in pending.enumerated() { r.encode(into: b, at: i * IndexRecord.size) }
        }
        let f = file
        let at = end
        try bytes.withUnsafeBytes { b in Result { () throws(StorageError) in try f.write(b, at: at) } }.get()
        end += Int64(bytes.count)
        pending.removeAll(keepingCapacity: true)
    }
}
