/// Whole-map walks (compaction, scrubber) that let reads in between.
///
/// Every GET takes the state lock for its map lookup, so a walk of millions of entries under
/// that lock would stall reads for its whole length (tens of milliseconds per million). These
/// walks take the lock for `mapWalkChunk` slots at a time instead.
extension Volume {
    /// Slots visited per hold of the state lock: 64 KiB of table, a few microseconds of work.
    static let mapWalkChunk = 4096

    /// The values `pick` returns for the entries of the needle map, walked in chunks with the
    /// state lock released between them (`betweenChunks` runs there).
    ///
    /// With `exact`, every entry is seen exactly once: if the map's layout changed between two
    /// chunks (an insert or rehash step moved entries), the result is collected again in one
    /// hold of the lock. Compaction asks for it under the append lock, where only in-place
    /// updates happen, so the fallback is for safety, not the usual path. Without `exact`, an
    /// entry moved by a concurrent insert may be missed or seen twice.
    func collectMap<T>(exact: Bool, chunk: Int = Volume.mapWalkChunk, betweenChunks: () -> Void = {},
                       _ pick: (Int64, NeedleLocation) -> T?) -> [T] {
        var out: [T] = []
        var position: Int? = 0
        var version: Int?
        var moved = false
        while let p = position {
            position = shared.withLock { s in
                if let v = version, v != s.map.layoutVersion { moved = true }
                version = s.map.layoutVersion
                return s.map.forEach(from: p, slots: chunk) { key, loc in
                    if let t = pick(key, loc) { out.append(t) }
                }
            }
            if position != nil { betweenChunks() }
        }
        guard exact && moved else { return out }
        out.removeAll()
        shared.withLock { s in
            s.map.forEach { key, loc in
                if let t = pick(key, loc) { out.append(t) }
            }
        }
        return out
    }
}
