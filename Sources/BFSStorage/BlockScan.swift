/// What a sequential walk over a block meets.
public enum BlockScanEvent: Sendable, Equatable {
    /// A whole, verified needle at a byte offset.
    case needle(offset: Int64, header: NeedleHeader)
    /// Bytes at `offset` that are not a valid needle, up to `resumeAt` (the next valid needle at
    /// 8-byte alignment, or the end of the scanned range).
    case damaged(offset: Int64, resumeAt: Int64, reason: StorageError)
    /// The range ends inside a needle that starts at `offset` (a torn final append).
    case torn(offset: Int64)
}

/// A read-only walk over `[start, end)` of a block, verifying every needle (magic, flag, size,
/// footer, CRC, padding) and re-synchronising after damage at the next valid needle, the same rule
/// recovery uses. Sizes are judged by the format's bound, not the upload limit. Shared by the
/// scrubber and the offline tools.
enum BlockScan {
    /// Calls `visit` for each event in order; stops early when `visit` returns false. `settings`
    /// does not bound sizes (the format does); it is taken so callers stay volume-agnostic.
    static func walk(_ file: StorageFile, from start: Int64 = Int64(SuperBlockFormat.headerSize), to end: Int64,
                     settings: VolumeSettings, visit: (BlockScanEvent) -> Bool) {
        var reader = BlockReader(file: file, fileSize: end)
        var p = start
        while p < end {
            switch reader.parseNeedle(at: p) {
            case .valid(let h):
                if !visit(.needle(offset: p, header: h)) { return }
                p += Int64(h.totalSize)
            case .damaged(let h, let reason):
                let next = p + Int64(h.totalSize)
                if !visit(.damaged(offset: p, resumeAt: next, reason: reason)) { return }
                p = next
            case .torn:
                guard let next = VolumeRecovery.nextValidNeedle(after: p, reader: &reader) else {
                    _ = visit(.torn(offset: p))
                    return
                }
                if !visit(.damaged(offset: p, resumeAt: next, reason: .truncated(offset: p))) { return }
                p = next
            case .corrupt(let reason):
                let next = VolumeRecovery.nextValidNeedle(after: p, reader: &reader) ?? end
                if !visit(.damaged(offset: p, resumeAt: next, reason: reason)) { return }
                p = next
            }
        }
    }
}
