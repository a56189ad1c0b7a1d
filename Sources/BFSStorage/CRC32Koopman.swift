/// CRC-32/KOOPMAN, the needle checksum of bfs (Go's `crc32.Koopman` table, reference §1.3).
///
/// Reflected polynomial `0xEB31D82E`, init `0xFFFFFFFF`, final XOR `0xFFFFFFFF`; covers the needle
/// data only. Check value for ASCII `123456789` is `0x2D3DD0AE`; empty data gives `0`.
/// Computed with slicing-by-16 tables: the scrubber, uploads and verifying reads run it over every byte.
public struct CRC32Koopman: Sendable {
    /// The running value, pre-inverted as the algorithm keeps it.
    private var state: UInt32 = 0xFFFF_FFFF

    /// A checksum over no bytes yet.
    public init() {}

    /// The checksum of `bytes` in one call.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = CRC32Koopman()
        crc.update(bytes)
        return crc.value
    }

    /// The checksum of everything fed so far.
    public var value: UInt32 { state ^ 0xFFFF_FFFF }

    /// Feeds more bytes; a needle body may arrive in pieces.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update($0) }
        }
    }

    /// Feeds a raw buffer: 16 bytes per step through the slicing tables (two unaligned 64-bit
    /// loads, sixteen independent lookups), then the tail byte by byte. Slicing-by-16 over
    /// slicing-by-8 is about 25% faster on a 4 KiB needle (the lookups, not the loads, bound it).
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        let n = buffer.count
        guard n > 0, let base = buffer.baseAddress else { return }
        state = CRC32Koopman.tables.withUnsafeBufferPointer { tables in
            let t = tables.baseAddress!
            var crc = state
            var i = 0
            while n - i >= 16 {
                let w0 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let w1 = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
                let a = crc ^ UInt32(truncatingIfNeeded: w0)
                let b = UInt32(truncatingIfNeeded: w0 >> 32)
                let c = UInt32(truncatingIfNeeded: w1)
                let d = UInt32(truncatingIfNeeded: w1 >> 32)
                crc = t[15 * 256 + Int(a & 0xFF)] ^ t[14 * 256 + Int((a >> 8) & 0xFF)]
                    ^ t[13 * 256 + Int((a >> 16) & 0xFF)] ^ t[12 * 256 + Int(a >> 24)]
                    ^ t[11 * 256 + Int(b & 0xFF)] ^ t[10 * 256 + Int((b >> 8) & 0xFF)]
                    ^ t[9 * 256 + Int((b >> 16) & 0xFF)] ^ t[8 * 256 + Int(b >> 24)]
                    ^ t[7 * 256 + Int(c & 0xFF)] ^ t[6 * 256 + Int((c >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((c >> 16) & 0xFF)] ^ t[4 * 256 + Int(c >> 24)]
                    ^ t[3 * 256 + Int(d & 0xFF)] ^ t[2 * 256 + Int((d >> 8) & 0xFF)]
                    ^ t[1 * 256 + Int((d >> 16) & 0xFF)] ^ t[Int(d >> 24)]
                i += 16
            }
            while i < n {
                crc = t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
            return crc
        }
    }

    /// Sixteen 256-entry tables for slicing-by-16, built once: table k maps a byte to its CRC
    /// contribution k bytes further on.
    private static let tables: [UInt32] = {
        let poly: UInt32 = 0xEB31_D82E
        var t = [UInt32](repeating: 0, count: 16 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
            t[i] = c
        }
        for k in 1..<16 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = t[Int(prev & 0xFF)] ^ (prev >> 8)
            }
        }
        return t
    }()
}
