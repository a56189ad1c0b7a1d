/// CRC-32/KOOPMAN, the needle checksum of bfs (Go's `crc32.Koopman` table, reference §1.3).
///
/// Reflected polynomial `0xEB31D82E`, init `0xFFFFFFFF`, final XOR `0xFFFFFFFF`; covers the needle
/// data only. Check value for ASCII `123456789` is `0x2D3DD0AE`; empty data gives `0`.
/// Computed with slicing-by-8 tables: the scrubber and verifying reads run it over every byte.
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

    /// Feeds a raw buffer.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        let t = CRC32Koopman.tables
        var crc = state
        var i = 0
        let n = buffer.count
        guard n > 0, let base = buffer.baseAddress else { return }
        while n - i >= 8 {
            let lo = crc ^ (UInt32(base.load(fromByteOffset: i, as: UInt8.self))
                | UInt32(base.load(fromByteOffset: i + 1, as: UInt8.self)) << 8
                | UInt32(base.load(fromByteOffset: i + 2, as: UInt8.self)) << 16
                | UInt32(base.load(fromByteOffset: i + 3, as: UInt8.self)) << 24)
            let hi = UInt32(base.load(fromByteOffset: i + 4, as: UInt8.self))
                | UInt32(base.load(fromByteOffset: i + 5, as: UInt8.self)) << 8
                | UInt32(base.load(fromByteOffset: i + 6, as: UInt8.self)) << 16
                | UInt32(base.load(fromByteOffset: i + 7, as: UInt8.self)) << 24
            crc = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
            i += 8
        }
        while i < n {
            crc = t[Int((crc ^ UInt32(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
            i += 1
        }
        state = crc
    }

    /// Eight 256-entry tables for slicing-by-8, built once.
    private static let tables: [UInt32] = {
        let poly: UInt32 = 0xEB31_D82E
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = t[Int(prev & 0xFF)] ^ (prev >> 8)
            }
        }
        return t
    }()
}
