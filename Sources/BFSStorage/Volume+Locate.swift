/// Where a live needle is according to the needle map, before any disk access: the first step of
/// a read that does its own I/O (`Volume.lookUp`, a read of the span, then `Volume.check`).
/// Holding the span keeps the block descriptor open (see `BlockHandle`).
public struct NeedleSpan: Sendable {
    /// The block file holding the needle.
    public let block: BlockHandle
    /// Byte offset of the needle in the block file.
    public let offset: Int64
    /// The needle's total padded size (header, data, footer, padding), as the map records it.
    public let totalSize: Int
}

extension Volume {
    /// The map lookup alone, under the state lock: where `key`'s needle is and how big it is.
    /// Throws `.needleNotFound`, `.needleDeleted` or `.volumeClosed`.
    public func lookUp(key: Int64) throws(StorageError) -> NeedleSpan {
        let found: Result<NeedleSpan, StorageError> = shared.withLock { s in
            if s.closed { return .failure(.volumeClosed) }
            guard let loc = s.map.get(key) else { return .failure(.needleNotFound) }
            if loc.isDeleted { return .failure(.needleDeleted) }
            return .success(NeedleSpan(block: s.block, offset: Int64(loc.offsetUnits) * 8, totalSize: Int(loc.totalSize)))
        }
        return try found.get()
    }

    /// Checks the needle header at the start of `bytes` (read by the caller from `span`): magic,
    /// flag, size within the format, key, size against the map, then the deleted flag and the
    /// cookie (nil: not checked). A deleted flag the map did not know corrects the map, unless a
    /// compaction swapped blocks since the lookup, and throws `.needleDeleted`.
    public func check(header bytes: UnsafeRawBufferPointer, of span: NeedleSpan, key: Int64,
                      cookie: Int32?) throws(StorageError) -> NeedleExtent {
        // The format's bound: the upload limit is for uploads.
        let header = try NeedleFormat.parseHeader(bytes, at: 0, maxDataSize: NeedleFormat.formatMaxDataSize,
                                                  fileOffset: span.offset)
        guard header.key == key else { throw .keyMismatch(expected: key, actual: header.key) }
        guard header.totalSize == span.totalSize else { throw .badSize(Int64(header.dataSize)) }
        if header.isDeleted {
            // The index hint said live but the flag byte (the truth) says deleted: fix the map.
            let units = UInt32(span.offset / 8)
            shared.withLock { s in
                if s.block === span.block, let now = s.map.get(key), now.offsetUnits == units {
                    _ = s.map.markDeleted(key)
                }
            }
            throw .needleDeleted
        }
        if let cookie, header.cookie != cookie { throw .cookieMismatch }
        return NeedleExtent(block: span.block, header: header, needleOffset: span.offset)
    }

    /// `locate(key:cookie:)` for a loop thread: nil when the needle's header is not in the page
    /// cache, so the caller runs `locate` on a worker instead of waiting for the disk.
    ///
    /// The header is read with a non-waiting read (`PageCacheRead`) into a stack buffer and
    /// checked as `locate` checks it. A missing or deleted needle throws at once: no read is
    /// needed to know that. When probing is impossible the header is read with a plain `pread`
    /// (the behaviour before probing existed).
    public func locateIfCached(key: Int64, cookie: Int32) throws(StorageError) -> NeedleExtent? {
        try locateIfCached(try lookUp(key: key), key: key, cookie: cookie)
    }

    /// `locateIfCached(key:cookie:)` after a `lookUp` the caller already made.
    public func locateIfCached(_ span: NeedleSpan, key: Int64, cookie: Int32) throws(StorageError) -> NeedleExtent? {
        let result = withUnsafeTemporaryAllocation(byteCount: NeedleFormat.headerSize, alignment: 8) { buffer in
            Result { () throws(StorageError) -> NeedleExtent? in
                switch PageCacheRead.read(span.block.file, into: buffer, at: span.offset) {
                case .miss:
                    return nil
                case .hit:
                    return try check(header: UnsafeRawBufferPointer(buffer), of: span, key: key, cookie: cookie)
                case .unknown:
                    let n = try span.block.file.read(into: buffer, at: span.offset)
                    guard n == buffer.count else { throw .truncated(offset: span.offset) }
                    return try check(header: UnsafeRawBufferPointer(buffer), of: span, key: key, cookie: cookie)
                }
            }
        }
        return try result.get()
    }
}
