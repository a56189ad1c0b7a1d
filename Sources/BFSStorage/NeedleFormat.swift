/// The needle, bfs v1's on-disk record of one file (reference/bfs-v1.md §1.3). Big-endian.
///
/// | Offset | Width | Field | Encoding |
/// |---|---|---|---|
/// | 0 | 4 | header magic | `12 34 56 78` |
/// | 4 | 4 | cookie | int32 |
/// | 8 | 8 | key | int64 |
/// | 16 | 1 | flag | `00` live, `01` deleted (the tombstone: set in place, never in the index) |
/// | 17 | 4 | size | int32 data length `n`, never negative |
/// | 21 | n | data | the file bytes |
/// | 21+n | 4 | footer magic | `87 65 43 21` |
/// | 25+n | 4 | checksum | uint32, CRC-32/Koopman of the data only (header and flag excluded, so a delete does not rewrite it) |
/// | 29+n | pad | padding | zeros up to the next multiple of 8 (0...7 bytes) |
///
/// Total size `T = align8(29 + n)`; needles are 8-byte aligned in the block. A reader checks, in
/// bfs order: header magic, flag, size, footer magic, checksum, padding. Vector (DESIGN.md §4.1):
/// key 1, cookie 2, data `abc` -> `12345678 00000002 0000000000000001 00 00000003 616263 87654321 ba2322ac`.
public enum NeedleFormat {
    /// Header length: magic, cookie, key, flag, size.
    public static let headerSize = 21
    /// Footer length without padding: magic and checksum.
    public static let footerSize = 8
    /// Needles start and end on this alignment (the block's offset unit).
    public static let alignment = 8
    /// Offset of the flag byte: a delete overwrites this one byte in place.
    public static let flagOffset = 16
    /// The flag of a live needle.
    public static let flagLive: UInt8 = 0
    /// The flag of a deleted needle.
    public static let flagDeleted: UInt8 = 1
    /// `12 34 56 78`, first bytes of every needle.
    public static let headerMagic: UInt32 = 0x1234_5678
    /// `87 65 43 21`, right after the data.
    public static let footerMagic: UInt32 = 0x8765_4321
    /// The size of a needle with empty data.
    public static let minTotalSize = totalSize(dataSize: 0)

    /// `align8(21 + dataSize + 8)`.
    public static func totalSize(dataSize: Int) -> Int {
        (headerSize + dataSize + footerSize + alignment - 1) / alignment * alignment
    }

    /// The encoded needle for `data`.
    public static func encode(key: Int64, cookie: Int32, data: UnsafeRawBufferPointer, flag: UInt8 = flagLive) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: totalSize(dataSize: data.count))
        out.withUnsafeMutableBytes { encode(key: key, cookie: cookie, data: data, flag: flag, into: $0, at: 0) }
        return out
    }

    /// The encoded needle for `data` (array convenience).
    public static func encode(key: Int64, cookie: Int32, data: [UInt8], flag: UInt8 = flagLive) -> [UInt8] {
        data.withUnsafeBytes { encode(key: key, cookie: cookie, data: $0, flag: flag) }
    }

    /// Writes the needle into `buffer` at `at`; the caller provides `totalSize` zeroed bytes.
    public static func encode(key: Int64, cookie: Int32, data: UnsafeRawBufferPointer, flag: UInt8,
                              into buffer: UnsafeMutableRawBufferPointer, at: Int) {
        BigEndianBytes.storeU32(headerMagic, buffer, at)
        BigEndianBytes.storeU32(UInt32(bitPattern: cookie), buffer, at + 4)
        BigEndianBytes.storeU64(UInt64(bitPattern: key), buffer, at + 8)
        buffer[at + flagOffset] = flag
        BigEndianBytes.storeU32(UInt32(data.count), buffer, at + 17)
        if data.count > 0 {
            UnsafeMutableRawBufferPointer(rebasing: buffer[(at + headerSize)..<(at + headerSize + data.count)])
                .copyMemory(from: data)
        }
        let footer = at + headerSize + data.count
        BigEndianBytes.storeU32(footerMagic, buffer, footer)
        BigEndianBytes.storeU32(CRC32Koopman.checksum(data), buffer, footer + 4)
    }

    /// Parses and checks the 21-byte header at `at` (magic, flag, size against `maxDataSize`).
    public static func parseHeader(_ buffer: UnsafeRawBufferPointer, at: Int, maxDataSize: Int,
                                   fileOffset: Int64 = 0) throws(StorageError) -> NeedleHeader {
        guard buffer.count - at >= headerSize else { throw .truncated(offset: fileOffset) }
        guard BigEndianBytes.loadU32(buffer, at) == headerMagic else { throw .badHeaderMagic(offset: fileOffset) }
        let flag = buffer[at + flagOffset]
        guard flag == flagLive || flag == flagDeleted else { throw .badFlag(flag) }
        let size = Int32(bitPattern: BigEndianBytes.loadU32(buffer, at + 17))
        guard size >= 0, Int(size) <= maxDataSize else { throw .badSize(Int64(size)) }
        return NeedleHeader(
            cookie: Int32(bitPattern: BigEndianBytes.loadU32(buffer, at + 4)),
            key: Int64(bitPattern: BigEndianBytes.loadU64(buffer, at + 8)),
            flag: flag, dataSize: Int(size))
    }

    /// Checks footer magic, checksum and padding of the whole needle at `at` whose header is
    /// `header`; the needle's `totalSize` bytes must be in `buffer`.
    public static func verifyBody(_ buffer: UnsafeRawBufferPointer, at: Int, header: NeedleHeader,
                                  fileOffset: Int64 = 0) throws(StorageError) {
        guard buffer.count - at >= header.totalSize else { throw .truncated(offset: fileOffset) }
        let footer = at + headerSize + header.dataSize
        guard BigEndianBytes.loadU32(buffer, footer) == footerMagic else { throw .badFooterMagic(offset: fileOffset) }
        let stored = BigEndianBytes.loadU32(buffer, footer + 4)
        let actual = CRC32Koopman.checksum(
            UnsafeRawBufferPointer(rebasing: buffer[(at + headerSize)..<footer]))
        guard stored == actual else { throw .checksumMismatch(expected: stored, actual: actual) }
        for i in (footer + footerSize)..<(at + header.totalSize) where buffer[i] != 0 {
            throw .badPadding
        }
    }
}

/// The fields of a needle header, as parsed by `NeedleFormat.parseHeader`.
public struct NeedleHeader: Equatable, Sendable {
    /// The cookie a reader must present.
    public var cookie: Int32
    /// The needle key.
    public var key: Int64
    /// `NeedleFormat.flagLive` or `NeedleFormat.flagDeleted`.
    public var flag: UInt8
    /// The data length in bytes.
    public var dataSize: Int

    /// Whether the needle is flagged deleted.
    public var isDeleted: Bool { flag == NeedleFormat.flagDeleted }
    /// The needle's total padded size.
    public var totalSize: Int { NeedleFormat.totalSize(dataSize: dataSize) }
}
