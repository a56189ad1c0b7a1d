/// A summary of a volume's files, computed without modifying them.
public struct VolumeInspection: Sendable, Equatable {
    /// Block file size in bytes.
    public var blockSize: Int64 = 0
    /// The super block version byte.
    public var version: UInt8 = 0
    /// Valid needles in the block, flagged or not.
    public var needles = 0
    /// Needles flagged deleted on disk.
    public var deletedNeedles = 0
    /// Needles not flagged whose key appears again later in the block (overwritten).
    public var supersededNeedles = 0
    /// Data bytes of live (neither deleted nor superseded) needles.
    public var liveDataBytes: Int64 = 0
    /// Records in the index file (whole 16-byte records).
    public var indexRecords = 0
    /// Records before the first implausible one (what recovery would load).
    public var plausibleIndexRecords = 0
    /// Plausible records whose offset does not hold a needle with that key and size.
    public var mismatchedIndexRecords = 0
    /// Offsets of damaged regions in the block.
    public var damagedOffsets: [Int64] = []
    /// Offset of a torn final needle, if any.
    public var tornOffset: Int64?

    /// Whether nothing is wrong (index mismatches and damage included; a short index is fine).
    public var isHealthy: Bool { damagedOffsets.isEmpty && tornOffset == nil && mismatchedIndexRecords == 0 && plausibleIndexRecords == indexRecords }
}

/// One needle as `dumpVolume` lists it.
public struct DumpedNeedle: Sendable, Equatable {
    /// Byte offset in the block.
    public var offset: Int64
    /// The parsed header.
    public var header: NeedleHeader
}

/// Offline volume tools behind `bfs volume check|inspect|dump|fix-index`. They work on volumes
/// written by Go bfs too, and only `fixIndex` writes (atomically).
public enum VolumeTools {
    /// Reads both files and reports what they hold (read-only).
    /// `progress` gets (bytes scanned, block size) as the scan advances.
    public static func inspectVolume(blockPath: String, indexPath: String, fileSystem: FileSystem = PosixFileSystem(),
                                     settings: VolumeSettings = VolumeSettings(),
                                     progress: (Int64, Int64) -> Void = { _, _ in }) throws(StorageError) -> VolumeInspection {
        let block = try fileSystem.open(blockPath, create: false)
        defer { block.close() }
        var out = VolumeInspection()
        out.blockSize = try block.size()
        var header = [UInt8](repeating: 0, count: SuperBlockFormat.headerSize)
        _ = try header.withUnsafeMutableBytes { b in Result { () throws(StorageError) -> Int in try block.read(into: b, at: 0) } }.get()
        try SuperBlockFormat.validate(header)
        out.version = header[4]
        var latest: [Int64: (offset: Int64, header: NeedleHeader)] = [:]
        var byOffset: [Int64: NeedleHeader] = [:]
        BlockScan.walk(block, to: out.blockSize, settings: settings) { event in
            switch event {
            case .needle(let offset, let h):
                progress(offset + Int64(h.totalSize), out.blockSize)
                out.needles += 1
                if h.isDeleted { out.deletedNeedles += 1 }
                if let previous = latest[h.key], !previous.header.isDeleted { out.supersededNeedles += 1 }
                latest[h.key] = (offset, h)
                byOffset[offset] = h
            case .damaged(let offset, _, _): out.damagedOffsets.append(offset)
            case .torn(let offset): out.tornOffset = offset
            }
            return true
        }
        out.liveDataBytes = latest.values.filter { !$0.header.isDeleted }.reduce(0) { $0 + Int64($1.header.dataSize) }
        if fileSystem.exists(indexPath), let bytes = try fileSystem.readSmallFile(indexPath) {
            out.indexRecords = bytes.count / IndexRecord.size
            var last: UInt32 = 0
            bytes.withUnsafeBytes { b in
                for i in 0..<out.indexRecords {
                    let r = IndexRecord.decode(b, at: i * IndexRecord.size)
                    guard r.isPlausible(after: last, blockSize: out.blockSize, maxTotalSize: settings.maxNeedleTotalSize) else { break }
                    last = r.offsetUnits
                    out.plausibleIndexRecords += 1
                    let h = byOffset[Int64(r.offsetUnits) * 8]
                    if h == nil || h!.key != r.key || h!.totalSize != Int(r.totalSize) { out.mismatchedIndexRecords += 1 }
                }
            }
        }
        return out
    }

    /// The problems `inspectVolume` finds, one line each; empty when the volume is healthy.
    public static func checkVolume(blockPath: String, indexPath: String, fileSystem: FileSystem = PosixFileSystem(),
                                   settings: VolumeSettings = VolumeSettings(),
                                   progress: (Int64, Int64) -> Void = { _, _ in }) throws(StorageError) -> [String] {
        let i = try inspectVolume(blockPath: blockPath, indexPath: indexPath, fileSystem: fileSystem, settings: settings,
                                  progress: progress)
        var problems: [String] = []
        for offset in i.damagedOffsets { problems.append("damaged needle at byte \(offset)") }
        if let t = i.tornOffset { problems.append("torn final needle at byte \(t)") }
        if i.plausibleIndexRecords < i.indexRecords {
            problems.append("index: \(i.indexRecords - i.plausibleIndexRecords) records after the first implausible one")
        }
        if i.mismatchedIndexRecords > 0 { problems.append("index: \(i.mismatchedIndexRecords) records do not match the block") }
        return problems
    }

    /// Calls `visit` for every valid needle in block order (read-only); stops when it returns false.
    public static func dumpVolume(blockPath: String, fileSystem: FileSystem = PosixFileSystem(),
                                  settings: VolumeSettings = VolumeSettings(),
                                  progress: (Int64, Int64) -> Void = { _, _ in },
                                  visit: (DumpedNeedle) -> Bool) throws(StorageError) {
        let block = try fileSystem.open(blockPath, create: false)
        defer { block.close() }
        let size = try block.size()
        BlockScan.walk(block, to: size, settings: settings) { event in
            guard case .needle(let offset, let h) = event else { return true }
            progress(offset + Int64(h.totalSize), size)
            return visit(DumpedNeedle(offset: offset, header: h))
        }
    }

    /// Rebuilds the index from the block (a record per valid needle not flagged deleted, as bfs
    /// writes) and replaces the index file atomically. Returns the number of records.
    @discardableResult
    public static func fixIndex(blockPath: String, indexPath: String, fileSystem: FileSystem = PosixFileSystem(),
                                settings: VolumeSettings = VolumeSettings(),
                                progress: (Int64, Int64) -> Void = { _, _ in }) throws(StorageError) -> Int {
        var records: [IndexRecord] = []
        try dumpVolume(blockPath: blockPath, fileSystem: fileSystem, settings: settings, progress: progress) { n in
            if !n.header.isDeleted {
                records.append(IndexRecord(key: n.header.key, offsetUnits: UInt32(n.offset / 8), totalSize: UInt32(n.header.totalSize)))
            }
            return true
        }
        var bytes = [UInt8](repeating: 0, count: records.count * IndexRecord.size)
        bytes.withUnsafeMutableBytes { b in
            for (i, r) in records.enumerated() { r.encode(into: b, at: i * IndexRecord.size) }
        }
        try fileSystem.replaceAtomically(indexPath, with: bytes)
        return records.count
    }
}
