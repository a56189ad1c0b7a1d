/// Needles encoded back to back (the layout of `NeedleFormat`) as their data streams in, ready for
/// `Volume.append(_:completion:)` to write with one `pwrite`: the data is copied once, from the
/// network buffer into place.
///
/// For each needle: `begin()` reserves the 21-byte header, `append(_:)` adds data and updates the
/// CRC-32/Koopman, `end()` writes footer magic, checksum and zero padding. The header is filled in
/// by `setHeader(_:key:cookie:)` once key and cookie are known (an upload's fields may come after
/// its file). A needle that was begun but not ended, or whose header was never set, makes the
/// batch unfit for appending (`isComplete` is false).
public struct NeedleBatch: Sendable {
    /// Where one needle of the batch lies and what its header says.
    struct Entry: Sendable {
        var start: Int
        var dataSize: Int
        var key: Int64 = 0
        var headed = false
        var totalSize: Int { NeedleFormat.totalSize(dataSize: dataSize) }
    }

    /// The encoded needles.
    public private(set) var bytes: [UInt8] = []
    private(set) var entries: [Entry] = []
    private var open: (start: Int, crc: CRC32Koopman)? = nil

    /// An empty batch with room for `capacity` encoded bytes.
    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// The needles encoded from `inputs` (each one copied once into place).
    public init(_ inputs: [NeedleInput]) {
        self.init(capacity: inputs.reduce(0) { $0 + NeedleFormat.totalSize(dataSize: $1.data.count) })
        for n in inputs {
            begin()
            n.data.withUnsafeBytes { append($0) }
            end()
            setHeader(count - 1, key: n.key, cookie: n.cookie)
        }
    }

    /// Needles ended so far.
    public var count: Int { entries.count }
    /// Data bytes of the ended needles.
    public private(set) var dataBytes = 0
    /// Data bytes of the needle being streamed (0 when none is open).
    public var openDataSize: Int { open.map { bytes.count - $0.start - NeedleFormat.headerSize } ?? 0 }
    /// Whether a needle is being streamed.
    public var isOpen: Bool { open != nil }
    /// Whether every needle is ended and has its header.
    public var isComplete: Bool { open == nil && entries.allSatisfy(\.headed) }

    /// Starts a needle: reserves its header. Ends nothing: call `end()` for the previous one first.
    public mutating func begin() {
        precondition(open == nil, "NeedleBatch.begin with a needle open")
        let start = bytes.count
        appendZeros(NeedleFormat.headerSize)
        open = (start, CRC32Koopman())
    }

    /// Adds data to the open needle.
    public mutating func append(_ data: UnsafeRawBufferPointer) {
        precondition(open != nil, "NeedleBatch.append without begin")
        guard data.count > 0 else { return }
        open!.crc.update(data)
        bytes.append(contentsOf: data.assumingMemoryBound(to: UInt8.self))
    }

    /// Ends the open needle: footer magic, checksum, padding.
    public mutating func end() {
        guard let (start, crc) = open else { preconditionFailure("NeedleBatch.end without begin") }
        open = nil
        let dataSize = bytes.count - start - NeedleFormat.headerSize
        let footer = bytes.count
        appendZeros(NeedleFormat.totalSize(dataSize: dataSize) - NeedleFormat.headerSize - dataSize)
        bytes.withUnsafeMutableBytes { b in
            BigEndianBytes.storeU32(NeedleFormat.footerMagic, b, footer)
            BigEndianBytes.storeU32(crc.value, b, footer + 4)
        }
        entries.append(Entry(start: start, dataSize: dataSize))
        dataBytes += dataSize
    }

    /// Zero bytes, enough for a header, or a footer with its padding.
    private static let zeros = [UInt8](repeating: 0, count: 32)

    /// Appends `n` (at most 32) zero bytes without a generic sequence walk (which allocates per
    /// element in unoptimised builds).
    private mutating func appendZeros(_ n: Int) {
        NeedleBatch.zeros.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
    }

    /// Drops the open needle, if any (a part the upload does not keep after all).
    public mutating func discardOpen() {
        guard let (start, _) = open else { return }
        open = nil
        bytes.removeSubrange(start...)
    }

    /// Writes the header of ended needle `index` (live flag).
    public mutating func setHeader(_ index: Int, key: Int64, cookie: Int32) {
        let e = entries[index]
        bytes.withUnsafeMutableBytes { b in
            BigEndianBytes.storeU32(NeedleFormat.headerMagic, b, e.start)
            BigEndianBytes.storeU32(UInt32(bitPattern: cookie), b, e.start + 4)
            BigEndianBytes.storeU64(UInt64(bitPattern: key), b, e.start + 8)
            b[e.start + NeedleFormat.flagOffset] = NeedleFormat.flagLive
            BigEndianBytes.storeU32(UInt32(e.dataSize), b, e.start + 17)
        }
        entries[index].key = key
        entries[index].headed = true
    }
}
