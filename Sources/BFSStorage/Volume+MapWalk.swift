/// Whole-map walks (compaction, scrubber, `deletedKeys`) that let reads in between.
///
/// Every GET takes the state lock for its map lookup, so a walk of millions of entries under
/// that lock would stall reads for its whole length (tens of milliseconds per million). These
/// walks take the lock for `mapWalkChunk` slots at a time instead, exact ones included.
extension Volume {
    /// Slots visited per hold of the state lock: 64 KiB of table, a few microseconds of work.
    static let mapWalkChunk = 4096

    /// The values `pick` returns for the entries of the needle map, walked in chunks with the
    /// state lock released between them (`betweenChunks` runs there).
    ///
    /// With `exact`, every entry is seen exactly once. A first pass runs without the append lock;
    /// if the map's layout changed between two of its chunks (an insert or rehash step moved
    /// entries, or a compaction swapped maps), the result is collected again in chunks under the
    /// append lock, where no new insert can be queued and the map is never swapped: only the
    /// flusher's already-queued publications can still move entries, so the passes repeated
    /// there end once those are out. Appends wait for that pass; reads never wait for more than
    /// a chunk. A caller already holding the append lock says so with `appendLockHeld`.
    /// Without `exact`, an entry moved by a concurrent insert may be missed or seen twice.
    func collectMap<T>(exact: Bool, appendLockHeld: Bool = false, chunk: Int = Volume.mapWalkChunk,
                       betweenChunks: () -> Void = {}, _ pick: (Int64, NeedleLocation) -> T?) -> [T] {
        let first = walkMap(chunk: chunk, betweenChunks: betweenChunks, pick)
        guard exact && first.moved else { return first.values }
        func still() -> [T] {
            while true {
                let pass = walkMap(chunk: chunk, betweenChunks: betweenChunks, pick)
                if !pass.moved { return pass.values }
            }
        }
        if appendLockHeld { return still() }
        var values: [T] = []
        appender.withLock { _ in values = still() }
        return values
    }

    /// One chunked pass, and whether the layout changed between two of its chunks.
    private func walkMap<T>(chunk: Int, betweenChunks: () -> Void,
                            _ pick: (Int64, NeedleLocation) -> T?) -> (values: [T], moved: Bool) {
        var out: [T] = []
        var position: Int? = 0
        var layout: (version: Int, generation: UInt64)?
        var moved = false
        while let p = position {
            position = shared.withLock { s in
                if let l = layout, l.version != s.map.layoutVersion || l.generation != s.generation { moved = true }
                layout = (s.map.layoutVersion, s.generation)
                return s.map.forEach(from: p, slots: chunk) { key, loc in
                    if let t = pick(key, loc) { out.append(t) }
                }
            }
            if position != nil { betweenChunks() }
        }
        return (out, moved)
    }
}
