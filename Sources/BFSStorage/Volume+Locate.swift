extension Volume {
    /// `locate(key:cookie:)` for a loop thread: nil when the needle's header is not in the page
    /// cache, so the caller runs `locate` on a worker instead of waiting for the disk.
    ///
    /// The header page is probed with a non-waiting read (`PageCacheRead`); on a hit the page is
    /// cached, and `locate`'s own 21-byte `pread` copies it again without touching the disk (one
    /// extra syscall, which keeps the checks of `locate` in one place). A missing or deleted
    /// needle throws at once: no read is needed to know that. When probing is impossible the
    /// header counts as cached (the behaviour before probing existed).
    public func locateIfCached(key: Int64, cookie: Int32) throws(StorageError) -> NeedleExtent? {
        let found: Result<(Int64, BlockHandle), StorageError> = shared.withLock { s in
            if s.closed { return .failure(.volumeClosed) }
            guard let loc = s.map.get(key) else { return .failure(.needleNotFound) }
            if loc.isDeleted { return .failure(.needleDeleted) }
            return .success((Int64(loc.offsetUnits) * 8, s.block))
        }
        let (offset, block) = try found.get()
        var header = [UInt8](repeating: 0, count: NeedleFormat.headerSize)
        let probe = header.withUnsafeMutableBytes { PageCacheRead.read(block.file, into: $0, at: offset) }
        if probe == .miss { return nil }
        return try locate(key: key, cookie: cookie)
    }
}
