/// One record of a volume's index file (reference/bfs-v1.md §1.4): the index is a flat array of
/// these, no header, append-only. It only records writes (never deletes) and is only a hint:
/// recovery trusts records up to the first implausible one, then rescans the block tail.
///
/// | Offset | Width | Field | Encoding |
/// |---|---|---|---|
/// | 0 | 8 | key | int64 big-endian |
/// | 8 | 4 | offset | uint32 big-endian, block offset in 8-byte units |
/// | 12 | 4 | size | int32 big-endian, total padded needle size in bytes (not the data size) |
///
/// A record is plausible when its offset is at least 1 (unit 0 is the super block), strictly
/// greater than the previous record's (needles are appended in order), its size is a multiple of 8
/// between the smallest and the largest needle, and the needle ends inside the block file.
public struct IndexRecord: Equatable, Sendable {
    /// The record length in bytes.
    public static let size = 16

    /// The needle key.
    public var key: Int64
    /// Where the needle starts, in 8-byte units from the start of the block.
    public var offsetUnits: UInt32
    /// The needle's total padded size in bytes.
    public var totalSize: UInt32

    /// A record for the needle at `offsetUnits` of `totalSize` bytes.
    public init(key: Int64, offsetUnits: UInt32, totalSize: UInt32) {
        self.key = key
        self.offsetUnits = offsetUnits
        self.totalSize = totalSize
    }

    /// Writes the 16 bytes of this record at `at`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at: Int) {
        BigEndianBytes.storeU64(UInt64(bitPattern: key), buffer, at)
        BigEndianBytes.storeU32(offsetUnits, buffer, at + 8)
        BigEndianBytes.storeU32(totalSize, buffer, at + 12)
    }

    /// The 16 bytes of this record.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.size)
        out.withUnsafeMutableBytes { encode(into: $0, at: 0) }
        return out
    }

    /// Reads the record whose 16 bytes start at `at`.
    public static func decode(_ buffer: UnsafeRawBufferPointer, at: Int) -> IndexRecord {
        IndexRecord(
            key: Int64(bitPattern: BigEndianBytes.loadU64(buffer, at)),
            offsetUnits: BigEndianBytes.loadU32(buffer, at + 8),
            totalSize: BigEndianBytes.loadU32(buffer, at + 12))
    }

    /// Whether this record may follow one ending at `previousOffsetUnits` in a block of
    /// `blockSize` bytes whose needles are at most `maxTotalSize` bytes (rules in the table above).
    public func isPlausible(after previousOffsetUnits: UInt32, blockSize: Int64, maxTotalSize: Int) -> Bool {
        offsetUnits >= 1 && offsetUnits > previousOffsetUnits
            && totalSize % 8 == 0 && Int(totalSize) >= NeedleFormat.minTotalSize
            && Int(totalSize) <= maxTotalSize
            && Int64(offsetUnits) * 8 + Int64(totalSize) <= blockSize
    }
}
