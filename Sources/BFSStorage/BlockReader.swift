/// A forward window over a block file for recovery and scrubbing: one large `pread` serves many
/// needles instead of one syscall each.
struct BlockReader {
    let file: StorageFile
    let fileSize: Int64
    private var window: [UInt8]
    private var windowStart: Int64 = 0
    private var windowCount = 0

    /// A reader whose window holds at least `minimumWindow` bytes (the largest needle).
    init(file: StorageFile, fileSize: Int64, minimumWindow: Int) {
        self.file = file
        self.fileSize = fileSize
        window = [UInt8](repeating: 0, count: max(4 << 20, minimumWindow))
    }

    /// Calls `body` with the `count` bytes at `offset`, or returns nil when the file ends first.
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
    /// The file ends inside the needle (a torn final write).
    case torn
    /// Bytes that are not a valid needle.
    case corrupt(StorageError)
}

extension BlockReader {
    /// Parses and fully verifies (magic, flag, size, footer, CRC, padding) the needle at `offset`.
    mutating func parseNeedle(at offset: Int64, maxDataSize: Int) -> ScannedNeedle {
        do {
            guard let header = try withBytes(at: offset, count: NeedleFormat.headerSize, { (b) throws(StorageError) in
                try NeedleFormat.parseHeader(b, at: 0, maxDataSize: maxDataSize, fileOffset: offset)
            }) else { return .torn }
            let ok: Void? = try withBytes(at: offset, count: header.totalSize) { (b) throws(StorageError) in
                try NeedleFormat.verifyBody(b, at: 0, header: header, fileOffset: offset)
            }
            return ok == nil ? .torn : .valid(header)
        } catch {
            return .corrupt(error)
        }
    }
}
