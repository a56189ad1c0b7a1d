/// Health probing: read one live needle chosen at random with full verification (the admin
/// `/probe`, which pitchfork uses to decide a store is failing).
///
/// The needle map is an open-addressing table, so a random slot is one index computation and the
/// nearest live entry after it is usually a few slots away: sampling costs O(1) expected, not a
/// scan of millions of entries. It holds the volume's state lock only while it looks at slots.
extension Volume {
    /// Slots examined per random window before trying another window.
    static let probeWindowSlots = 512
    /// Random windows tried before falling back to a full scan (only a map made almost entirely
    /// of deleted markers gets there).
    static let probeWindows = 8

    /// A key the needle map calls live, chosen at random; nil when the volume has none.
    public func randomLiveKey() -> Int64? {
        shared.withLock { s in s.map.randomLive()?.key }
    }

    /// Reads a random live needle and checks header, key, flag, footer, CRC and padding.
    /// Returns the probed key, or nil for a volume without live needles (healthy: bfs answered 404
    /// there, which made pitchfork distrust empty volumes). Throws what the read found wrong;
    /// `.needleDeleted`/`.needleNotFound` mean a delete raced the probe.
    public func probe() throws(StorageError) -> Int64? {
        guard let key = randomLiveKey() else { return nil }
        _ = try readVerified(key: key, cookie: nil)
        return key
    }
}

extension NeedleMap {
    /// A live entry near a random slot, or nil when there is none.
    func randomLive() -> (key: Int64, location: NeedleLocation)? {
        guard liveCount > 0 else { return nil }
        var g = SystemRandomNumberGenerator()
        // The side slots hold at most two keys; give them a chance proportional to their share.
        if let loc = zeroKeyEntry, !loc.isDeleted, Int.random(in: 0..<liveCount, using: &g) == 0 {
            return (NeedleMapTable.emptyKey, loc)
        }
        if let loc = minKeyEntry, !loc.isDeleted, Int.random(in: 0..<liveCount, using: &g) == 0 {
            return (NeedleMapTable.tombstoneKey, loc)
        }
        let tables: [(NeedleMapTable, Int)] = [(live, 0)] + (draining.map { [($0, cursor)] } ?? [])
        for _ in 0..<Volume.probeWindows {
            let (table, from) = tables[Int.random(in: 0..<tables.count, using: &g)]
            guard table.capacity > from else { continue }
            var i = Int.random(in: from..<table.capacity, using: &g)
            for _ in 0..<min(Volume.probeWindowSlots, table.capacity - from) {
                let slot = table.slots[i]
                if slot.key != NeedleMapTable.emptyKey && slot.key != NeedleMapTable.tombstoneKey && slot.offsetUnits != 0 {
                    return (slot.key, table.location(at: i))
                }
                i = i + 1 == table.capacity ? from : i + 1
            }
        }
        var found: (Int64, NeedleLocation)?
        forEach { key, loc in
            if found == nil && !loc.isDeleted { found = (key, loc) }
        }
        return found
    }
}
