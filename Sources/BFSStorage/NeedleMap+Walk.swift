/// Walking the needle map in bounded chunks, so the lock guarding it can be released between them.
extension NeedleMap {
    /// Calls `body` for the entries among the next `budget` positions from `position` of a fixed
    /// order (the two side slots, the live table's slots, then the draining table's slots not yet
    /// migrated); returns the position to continue from, or nil when the walk is complete.
    ///
    /// Positions stay meaningful across calls only while `layoutVersion` is unchanged: an insert
    /// or a migration step between two calls can move an entry behind the walk (missed) or
    /// ahead of it (seen twice). The caller checks the version.
    func forEach(from position: Int, slots budget: Int, _ body: (Int64, NeedleLocation) -> Void) -> Int? {
        let drainStart = 2 + live.capacity
        let total = drainStart + (draining?.capacity ?? 0)
        var p = position
        let end = position + max(budget, 1)
        while p < end && p < total {
            if p == 0 {
                if let loc = zeroKeyEntry { body(NeedleMapTable.emptyKey, loc) }
            } else if p == 1 {
                if let loc = minKeyEntry { body(NeedleMapTable.tombstoneKey, loc) }
            } else if p < drainStart {
                visit(live, p - 2, body)
            } else if let old = draining {
                // Slots below the drain cursor are gone (their pages may read as zero already).
                if p - drainStart < cursor { p = drainStart + cursor; continue }
                visit(old, p - drainStart, body)
            }
            p += 1
        }
        return p < total ? p : nil
    }

    private func visit(_ table: NeedleMapTable, _ i: Int, _ body: (Int64, NeedleLocation) -> Void) {
        let k = table.slots[i].key
        if k != NeedleMapTable.emptyKey && k != NeedleMapTable.tombstoneKey { body(k, table.location(at: i)) }
    }
}
