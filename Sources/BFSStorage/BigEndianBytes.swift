/// Big-endian loads and stores over raw bytes: every bfs on-disk integer is big-endian and most
/// are not naturally aligned (the needle header is 21 bytes), so they are assembled byte by byte.
enum BigEndianBytes {
    static func loadU32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    static func loadU64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(loadU32(b, at)) << 32 | UInt64(loadU32(b, at + 4))
    }

    static func storeU32(_ v: UInt32, _ b: UnsafeMutableRawBufferPointer, _ at: Int) {
        b[at] = UInt8(truncatingIfNeeded: v >> 24)
        b[at + 1] = UInt8(truncatingIfNeeded: v >> 16)
        b[at + 2] = UInt8(truncatingIfNeeded: v >> 8)
        b[at + 3] = UInt8(truncatingIfNeeded: v)
    }

    static func storeU64(_ v: UInt64, _ b: UnsafeMutableRawBufferPointer, _ at: Int) {
        storeU32(UInt32(truncatingIfNeeded: v >> 32), b, at)
        storeU32(UInt32(truncatingIfNeeded: v), b, at + 4)
    }
}
