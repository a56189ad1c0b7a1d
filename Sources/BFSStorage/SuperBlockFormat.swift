/// The block file header ("super block") of bfs v1 (reference/bfs-v1.md §1.2).
///
/// | Offset | Width | Value | Meaning |
/// |---|---|---|---|
/// | 0 | 4 | `AB CD EF 00` | magic |
/// | 4 | 1 | `01` | version |
/// | 5 | 3 | `00 00 00` | padding to the 8-byte needle alignment |
///
/// Needles follow back to back from byte 8, i.e. unit offset 1, so unit offset 0 never holds a
/// needle (bfs uses it as the in-memory "deleted" marker). Offsets are u32 counts of 8-byte units:
/// the last addressable unit is `UInt32.max`, so a block tops out just under 32 GiB.
/// A reader rejects a wrong magic (ret 3000) and any version other than 1 (ret 3001): an unknown
/// version may lay needles out differently, so serving it would return garbage. Go bfs never
/// validates the version (two bugs cancel) but always writes `01`, so its blocks pass.
public enum SuperBlockFormat {
    /// The header length: one alignment unit.
    public static let headerSize = 8
    /// The four magic bytes at offset 0.
    public static let magic: [UInt8] = [0xAB, 0xCD, 0xEF, 0x00]
    /// The only version written and accepted.
    public static let version: UInt8 = 1
    /// Bytes per offset unit; needles start and end on this alignment.
    public static let unitSize = 8
    /// The largest unit offset a needle may start at (offsets are stored as u32).
    public static let maxOffsetUnits = UInt64(UInt32.max)

    /// The 8 header bytes of a fresh block.
    public static func makeHeader() -> [UInt8] {
        magic + [version, 0, 0, 0]
    }

    /// Validates the first 8 bytes of a block file.
    public static func validate(_ header: [UInt8]) throws(StorageError) {
        guard header.count >= headerSize else { throw .truncated(offset: 0) }
        guard Array(header[0..<4]) == magic else { throw .badSuperBlockMagic }
        guard header[4] == version else { throw .unsupportedVersion(header[4]) }
    }
}
