import BFSCore

/// What opening a volume found and repaired (DESIGN.md §4.3), for `/info`, metrics and logs.
public struct RecoveryReport: Equatable, Sendable {
    /// Index records loaded as hints.
    public var indexRecords = 0
    /// Bytes of implausible index records cut off the index file.
    public var indexBytesTruncated: Int64 = 0
    /// Needles found in the block tail past the index.
    public var tailNeedles = 0
    /// Block offsets (bytes) where a damaged region starts; the needles there were skipped.
    public var damagedOffsets: [Int64] = []
    /// Bytes cut off the block end (a torn final needle or trailing garbage).
    public var blockBytesTruncated: Int64 = 0

    /// How many damaged regions were skipped.
    public var damagedCount: Int { damagedOffsets.count }
}

/// The state of a volume rebuilt from its files.
struct RecoveredVolume: ~Copyable {
    var map: NeedleMap
    var blockEnd: Int64
    var indexEnd: Int64
    var report: RecoveryReport
}

/// Rebuilds a volume's needle map from its index (a hint) and its block (the truth).
///
/// Crash windows it handles: after an append before its sync (the unsynced tail may be torn:
/// truncated), after the sync before the index hint (the tail rescan re-derives the records),
/// an index pointing past the block end (stops at the first implausible record and truncates it),
/// a needle whose data fails its checksum under an intact header and footer (kept and reported),
/// a delete flag written but not synced (whatever the disk kept is the answer: the flag byte is the
/// only record of a delete). Damage in the middle of the tail is skipped with a search for the next
/// valid needle at 8-byte alignment, and reported. Running it twice yields the same files and the
/// same reads: everything it repairs is synced before it returns.
enum VolumeRecovery {
    /// Recovers `block`/`index` in place. `settings.needleMaxSize` plays no part: it limits uploads,
    /// while recovery judges sizes by the format (`NeedleFormat.formatMaxDataSize`).
    static func recover(block: StorageFile, index: StorageFile, settings: VolumeSettings) throws(StorageError) -> RecoveredVolume {
        var report = RecoveryReport()
        var blockSize = try block.size()
        var header = [UInt8](repeating: 0, count: SuperBlockFormat.headerSize)
        _ = try header.withUnsafeMutableBytes { b in
            Result { () throws(StorageError) -> Int in try block.read(into: b, at: 0) }
        }.get()
        try SuperBlockFormat.validate(header)
        let indexSize = try index.size()
        var map = NeedleMap(expectedCount: max(1024, Int(indexSize / Int64(IndexRecord.size))))
        // The format's bound, not the upload limit: a volume written under a larger limit (or by
        // Go bfs) holds larger needles, and cutting the index there would drop acknowledged ones.
        let maxTotal = NeedleFormat.totalSize(dataSize: NeedleFormat.formatMaxDataSize)

        // Pass 1: the index, up to its first implausible record.
        var lastUnits: UInt32 = 0
        var scanStart = Int64(SuperBlockFormat.headerSize)
        var goodRecords: Int64 = 0
        let chunkRecords = 65536
        var chunk = [UInt8](repeating: 0, count: chunkRecords * IndexRecord.size)
        var position: Int64 = 0
        scan: while position < indexSize {
            let n = try chunk.withUnsafeMutableBytes { b in
                Result { () throws(StorageError) -> Int in try index.read(into: b, at: position) }
            }.get()
            let whole = n / IndexRecord.size
            if whole == 0 { break }
            let stop: Bool = chunk.withUnsafeBytes { b in
                for i in 0..<whole {
                    let r = IndexRecord.decode(b, at: i * IndexRecord.size)
                    guard r.isPlausible(after: lastUnits, blockSize: blockSize, maxTotalSize: maxTotal) else { return true }
                    _ = map.set(r.key, NeedleLocation(offsetUnits: r.offsetUnits, totalSize: r.totalSize))
                    lastUnits = r.offsetUnits
                    scanStart = Int64(r.offsetUnits) * 8 + Int64(r.totalSize)
                    goodRecords += 1
                }
                return false
            }
            if stop || n < chunk.count { break scan }
            position += Int64(n)
        }
        report.indexRecords = Int(goodRecords)
        let indexEnd = goodRecords * Int64(IndexRecord.size)
        if indexSize > indexEnd {
            report.indexBytesTruncated = indexSize - indexEnd
            try index.truncate(to: indexEnd)
        }

        // Pass 2: the block tail past the last good index record.
        var reader = BlockReader(file: block, fileSize: blockSize)
        var tail: [IndexRecord] = []
        var p = scanStart
        var end = scanStart
        while p < blockSize {
            switch reader.parseNeedle(at: p) {
            case .valid(let h):
                let units = UInt32(p / 8)
                // A needle flagged deleted keeps its size under bfs's offset-0 marker.
                _ = map.set(h.key, NeedleLocation(offsetUnits: h.isDeleted ? 0 : units, totalSize: UInt32(h.totalSize)))
                tail.append(IndexRecord(key: h.key, offsetUnits: units, totalSize: UInt32(h.totalSize)))
                report.tailNeedles += 1
                p += Int64(h.totalSize)
                end = p
            case .damaged(let h, _):
                // Header and footer intact, so this was written whole (and maybe acknowledged):
                // its bytes are kept for inspection and reported, never truncated as a torn tail.
                report.damagedOffsets.append(p)
                p += Int64(h.totalSize)
                end = p
            case .torn, .corrupt:
                // Garbage with nothing valid after it is a torn final append; with a valid needle
                // after it (even when a damaged size field points past the end) it is damage.
                guard let next = nextValidNeedle(after: p, reader: &reader) else {
                    p = blockSize
                    break
                }
                report.damagedOffsets.append(p)
                p = next
            }
        }
        if blockSize > end {
            report.blockBytesTruncated = blockSize - end
            try block.truncate(to: end)
            blockSize = end
        }
        if !tail.isEmpty {
            var bytes = [UInt8](repeating: 0, count: tail.count * IndexRecord.size)
            bytes.withUnsafeMutableBytes { b in
                for (i, r) in tail.enumerated() { r.encode(into: b, at: i * IndexRecord.size) }
            }
            try bytes.withUnsafeBytes { b in
                Result { () throws(StorageError) in try index.write(b, at: indexEnd) }
            }.get()
        }
        if report.blockBytesTruncated > 0 { try block.sync() }
        if !tail.isEmpty || report.indexBytesTruncated > 0 { try index.sync() }
        return RecoveredVolume(map: map, blockEnd: end, indexEnd: indexEnd + Int64(tail.count * IndexRecord.size),
                               report: report)
    }

    /// The next offset after `offset`, 8-byte aligned, where a whole valid needle starts.
    static func nextValidNeedle(after offset: Int64, reader: inout BlockReader) -> Int64? {
        var q = offset + 8
        while q + Int64(NeedleFormat.minTotalSize) <= reader.fileSize {
            let magic: Bool? = try? reader.withBytes(at: q, count: 4) { b in
                BigEndianBytes.loadU32(b, 0) == NeedleFormat.headerMagic
            }
            if magic == true, case .valid = reader.parseNeedle(at: q) {
                return q
            }
            q += 8
        }
        return nil
    }
}

extension RecoveredVolume {
    /// Moves the map out (the map is non-copyable).
    consuming func takeMap() -> NeedleMap {
        map
    }
}
