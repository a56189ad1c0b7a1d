/// A forward window over a block file for recovery and scrubbing: one large `pread` serves many
/// needles instead of one syscall each. Needles larger than the window are verified in pieces,
/// so the window never grows with the largest needle a volume may hold.
struct BlockReader {
    /// Bytes one `pread` fetches.
    static let windowSize = 4 << 20

    let file: StorageFile
    let fileSize: Int64
    private var window: [UInt8]
    private var windowStart: Int64 = 0
    private var windowCount = 0

    /// A reader over the first `fileSize` bytes of `file`.
    init(file: StorageFile, fileSize: Int64) {
        self.file = file
        self.fileSize = fileSize
        window = [UInt8](repeating: 0, count: Self.windowSize)
    }

    /// Calls `body` with the `count` bytes at `offset` (`count` at most `windowSize`), or returns
    /// nil when the file ends first.
    mutating func withBytes<R>(at offset: Int64, count: Int,
                               _ body: (UnsafeRawBufferPointer) throws(StorageError) -> R) throws(StorageError) -> R? {
        guard offset + Int64(count) <= fileSize else { return nil }
        if offset < windowStart || offset + Int64(count) > windowStart + Int64(windowCount) {
            try fill(at: offset)
            guard windowCount >= count else { return nil }
        }
        let start = Int(offset - windowStart)
        return try window.withUnsafeBytes { b in
            Result { () throws(StorageError) -> R in
                try body(UnsafeRawBufferPointer(rebasing: b[start..<(start + count)]))
            }
        }.get()
    }

    private mutating func fill(at offset: Int64) throws(StorageError) {
        let wanted = Int(min(Int64(window.count), fileSize - offset))
        let f = file
        let n = try window.withUnsafeMutableBytes { b in
            Result { () throws(StorageError) -> Int in
                try f.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<wanted]), at: offset)
            }
        }.get()
        windowStart = offset
        windowCount = n
    }
}

/// What `BlockReader.parseNeedle` found at an offset.
enum ScannedNeedle {
    /// A whole, verified needle.
    case valid(NeedleHeader)
    /// The file ends inside the needle (a torn final write, or a damaged size field).
    case torn
    /// Bytes that are not a needle: header magic, flag, size or footer magic is wrong.
    case corrupt(StorageError)
    /// A needle whose header and footer are intact but whose data or padding fails its check
    /// (checksum, padding): damage in place, its extent known from the header.
    case damaged(NeedleHeader, StorageError)
}

extension BlockReader {
    /// Parses and fully verifies (magic, flag, size, footer, CRC, padding) the needle at `offset`.
    /// Sizes are checked against the format's own bound (`NeedleFormat.formatMaxDataSize`), never
    /// the upload limit: a volume written with a larger limit holds larger needles.
    mutating func parseNeedle(at offset: Int64) -> ScannedNeedle {
        let header: NeedleHeader
        do {
            guard let h = try withBytes(at: offset, count: NeedleFormat.headerSize, { (b) throws(StorageError) in
                try NeedleFormat.parseHeader(b, at: 0, maxDataSize: NeedleFormat.formatMaxDataSize, fileOffset: offset)
            }) else { return .torn }
            header = h
        } catch {
            return .corrupt(error)
        }
        guard offset + Int64(header.totalSize) <= fileSize else { return .torn }
        do {
            if header.totalSize <= Self.windowSize {
                let ok: Void? = try withBytes(at: offset, count: header.totalSize) { (b) throws(StorageError) in
                    try NeedleFormat.verifyBody(b, at: 0, header: header, fileOffset: offset)
                }
                return ok == nil ? .torn : .valid(header)
            }
            return try verifyInPieces(at: offset, header: header) ? .valid(header) : .torn
        } catch .badFooterMagic(let at) {
            return .corrupt(.badFooterMagic(offset: at))
        } catch .checksumMismatch(let expected, let actual) {
            return .damaged(header, .checksumMismatch(expected: expected, actual: actual))
        } catch .badPadding {
            return .damaged(header, .badPadding)
        } catch {
            return .corrupt(error)
        }
    }

    /// `NeedleFormat.verifyBody` for a needle larger than the window, in the same order (footer
    /// magic, checksum, padding); false when the file ends first.
    private mutating func verifyInPieces(at offset: Int64, header: NeedleHeader) throws(StorageError) -> Bool {
        let footer = offset + Int64(NeedleFormat.headerSize + header.dataSize)
        let tailCount = Int(offset + Int64(header.totalSize) - footer)
        guard let tail = try withBytes(at: footer, count: tailCount, { b in
            (magic: BigEndianBytes.loadU32(b, 0), stored: BigEndianBytes.loadU32(b, 4),
             padded: b[NeedleFormat.footerSize...].allSatisfy { $0 == 0 })
        }) else { return false }
        guard tail.magic == NeedleFormat.footerMagic else { throw .badFooterMagic(offset: offset) }
        var crc = CRC32Koopman()
        var p = offset + Int64(NeedleFormat.headerSize)
        while p < footer {
            let n = Int(min(Int64(Self.windowSize), footer - p))
            guard (try withBytes(at: p, count: n, { b in crc.update(b) })) != nil else { return false }
            p += Int64(n)
        }
        guard tail.stored == crc.value else { throw .checksumMismatch(expected: tail.stored, actual: crc.value) }
        guard tail.padded else { throw .badPadding }
        return true
    }
}
