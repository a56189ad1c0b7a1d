/// Writes verified copies of needles into a new block for compaction, buffering the writes.
struct NeedleCopier {
    let block: StorageFile
    let index: StorageFile
    let maxDataSize: Int
    /// Old unit offset -> location in the new block.
    var moved: [UInt32: NeedleLocation] = [:]
    var end = Int64(SuperBlockFormat.headerSize)
    /// Needles found damaged (counted once each, however many catch-up passes meet them).
    var damaged = 0
    /// Old unit offsets not copied because damaged or flagged deleted on disk: later passes skip
    /// them instead of reading (and counting) them again.
    var skipped: Set<UInt32> = []
    private var buffer: [UInt8] = []
    private var bufferStart = Int64(SuperBlockFormat.headerSize)

    init(block: StorageFile, index: StorageFile, maxDataSize: Int) throws(StorageError) {
        self.block = block
        self.index = index
        self.maxDataSize = maxDataSize
        buffer.reserveCapacity(1 << 20)
    }

    /// Copies the needle of `key` at `loc` from `source` after checking header and checksum; a
    /// needle whose bytes fail, or that is flagged deleted on disk, is not copied.
    mutating func copy(key: Int64, from loc: NeedleLocation, in source: StorageFile) throws(StorageError) {
        var bytes = [UInt8](repeating: 0, count: Int(loc.totalSize))
        let at = Int64(loc.offsetUnits) * 8
        let n = try bytes.withUnsafeMutableBytes { b in
            Result { () throws(StorageError) -> Int in try source.read(into: b, at: at) }
        }.get()
        let max = maxDataSize
        // nil: damaged; false: flagged deleted on disk (the map came from a stale index hint).
        let live: Bool? = n == bytes.count ? bytes.withUnsafeBytes { b in
            guard let h = try? NeedleFormat.parseHeader(b, at: 0, maxDataSize: max),
                  h.key == key, h.totalSize == b.count,
                  (try? NeedleFormat.verifyBody(b, at: 0, header: h)) != nil else { return nil }
            return !h.isDeleted
        } : nil
        guard let live, live else {
            if live == nil { damaged += 1 }
            skipped.insert(loc.offsetUnits)
            return
        }
        moved[loc.offsetUnits] = NeedleLocation(offsetUnits: UInt32(end / 8), totalSize: loc.totalSize)
        buffer += bytes
        end += Int64(bytes.count)
        if buffer.count >= 1 << 20 { try flushBuffer() }
    }

    /// Writes the buffered copies.
    mutating func flushBuffer() throws(StorageError) {
        guard !buffer.isEmpty else { return }
        let file = block
        let at = bufferStart
        try buffer.withUnsafeBytes { b in Result { () throws(StorageError) in try file.write(b, at: at) } }.get()
        bufferStart += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flags every copy not in `keeping` (deleted or overwritten after it was copied), writes the
    /// index of `keeping`, and syncs both files.
    mutating func finish(keeping live: [IndexRecord]) throws(StorageError) {
        try flushBuffer()
        let kept = Set(live.map(\.offsetUnits))
        for loc in moved.values where !kept.contains(loc.offsetUnits) {
            try Volume.writeDeletedFlag(block, needleAtUnits: loc.offsetUnits)
        }
        var bytes = [UInt8](repeating: 0, count: live.count * IndexRecord.size)
        bytes.withUnsafeMutableBytes { b in
            for (i, r) in live.enumerated() { r.encode(into: b, at: i * IndexRecord.size) }
        }
        let file = index
        try bytes.withUnsafeBytes { b in Result { () throws(StorageError) in try file.write(b, at: 0) } }.get()
        try block.sync()
        try index.sync()
    }

    func close() {
        block.close()
        index.close()
    }
}
