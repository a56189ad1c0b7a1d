#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One slot of the needle map: 16 bytes, the key then bfs's packed value split in two halves.
struct NeedleMapSlot {
    /// The needle key, or one of the two sentinels of `NeedleMapTable`.
    var key: Int64
    /// Offset of the needle in 8-byte units; 0 marks a deleted needle (reference §1.5).
    var offsetUnits: UInt32
    /// Total padded needle size in bytes.
    var totalSize: UInt32
}

/// A Robin Hood open-addressing table over one anonymous memory mapping.
///
/// Key `0` marks an empty slot, because fresh anonymous pages are zero: a table of millions of
/// slots costs one `mmap` and no initializing pass, so growth does not stall the caller while
/// the kernel zero-fills pages as they are touched. `Int64.min` marks a slot whose entry was
/// removed from a table being drained (a tombstone: its neighbours must not move under the drain
/// cursor). Both keys therefore live outside the table, in `NeedleMap`'s side slots.
///
/// Home slot = high 64 bits of `mix(key) * capacity` (Lemire's multiply-shift range reduction),
/// so any capacity works, not only powers of two: growth can be by 1.25x, which is what keeps
/// the steady-state load between 0.68 and 0.85. Deletion is backward-shift, so a table that
/// only ever sees `insertAbsent` and `remove(at:)` never holds a tombstone.
///
/// A plain value wrapping a pointer: the owner (`NeedleMap`, non-copyable) frees it exactly once.
struct NeedleMapTable {
    /// The empty-slot key: fresh anonymous memory reads as empty.
    static let emptyKey: Int64 = 0
    /// The key left in a slot whose entry migrated to the next table.
    static let tombstoneKey: Int64 = .min
    /// Bytes per slot; the memory budget (DESIGN.md §4.4) is computed from it.
    static let slotSize = MemoryLayout<NeedleMapSlot>.stride
    /// Mapping granularity; capacities are rounded so the mapping has no unused tail.
    static let pageSize = 4096

    /// Base of the mapping.
    let slots: UnsafeMutablePointer<NeedleMapSlot>
    /// Number of slots.
    let capacity: Int
    /// Slots holding a real entry (neither empty nor tombstone).
    var count = 0

    /// Maps a table of at least `minimumCapacity` slots, rounded up to whole pages.
    init(minimumCapacity: Int) {
        let bytes = Self.byteSize(forCapacity: minimumCapacity)
        let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let raw, raw != MAP_FAILED else {
            fatalError("needle map: mmap of \(bytes) bytes failed, errno \(errno)")
        }
        slots = raw.bindMemory(to: NeedleMapSlot.self, capacity: bytes / Self.slotSize)
        capacity = bytes / Self.slotSize
    }

    /// Mapping size for a table of at least `capacity` slots (whole pages, at least one).
    static func byteSize(forCapacity capacity: Int) -> Int {
        let wanted = max(capacity, 1) * slotSize
        return (wanted + pageSize - 1) / pageSize * pageSize
    }

    /// Bytes the mapping spans.
    var byteSize: Int { capacity * Self.slotSize }

    /// Unmaps the table; the value must not be used afterwards.
    func deallocate() {
        munmap(UnsafeMutableRawPointer(slots), byteSize)
    }

    /// MurmurHash3's 64-bit finalizer: snowflake keys differ mostly in their low and middle
    /// bits, and the range reduction uses the high bits, so every input bit must reach them.
    @inline(__always)
    static func mix(_ key: Int64) -> UInt64 {
        var h = UInt64(bitPattern: key)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    /// The slot a key would occupy with no collision.
    @inline(__always)
    func home(_ key: Int64) -> Int {
        Int(truncatingIfNeeded: Self.mix(key).multipliedFullWidth(by: UInt64(capacity)).high)
    }

    @inline(__always)
    func next(_ i: Int) -> Int { i + 1 == capacity ? 0 : i + 1 }

    /// How far slot `i` is from the home of the key stored in it (wrapping).
    @inline(__always)
    func displacement(of key: Int64, at i: Int) -> Int {
        let h = home(key)
        return i >= h ? i - h : i + capacity - h
    }

    /// The slot index holding `key`, or nil. `key` must not be a sentinel.
    ///
    /// Robin Hood early exit: once the probe is farther from home than the resident of a slot,
    /// the key cannot be further on, since insertion would have taken that slot. Tombstones
    /// replaced entries in place without moving anyone, so skipping them keeps that rule valid.
    /// Slots below `migrated` (a drain cursor) count as tombstones without being read: their
    /// pages may already be returned to the kernel and read as zero (empty).
    func find(_ key: Int64, migrated: Int = 0) -> Int? {
        var i = home(key)
        var distance = 0
        while true {
            if i < migrated {
                distance += migrated - i
                i = migrated
                // Every slot from the cursor on was probed without an empty slot: not present.
                if distance > capacity || i == capacity { return nil }
                continue
            }
            let k = slots[i].key
            if k == key { return i }
            if k == Self.emptyKey { return nil }
            if k != Self.tombstoneKey && displacement(of: k, at: i) < distance { return nil }
            i = next(i)
            distance += 1
            if distance > capacity { return nil }
        }
    }

    /// Returns to the kernel the whole pages between byte `start` and slot `slotCount`; they
    /// read as zero afterwards. Returns the new end of the released prefix, in bytes.
    func release(from start: Int, below slotCount: Int) -> Int {
        let end = slotCount * Self.slotSize / Self.pageSize * Self.pageSize
        guard end > start else { return start }
        _ = madvise(UnsafeMutableRawPointer(slots) + start, end - start, MADV_DONTNEED)
        return end
    }

    /// The location stored at slot `i`.
    @inline(__always)
    func location(at i: Int) -> NeedleLocation {
        NeedleLocation(offsetUnits: slots[i].offsetUnits, totalSize: slots[i].totalSize)
    }

    /// Overwrites the location at slot `i`, keeping the key.
    @inline(__always)
    func store(_ loc: NeedleLocation, at i: Int) {
        slots[i].offsetUnits = loc.offsetUnits
        slots[i].totalSize = loc.totalSize
    }

    /// Inserts a key known to be absent. Only for tables without tombstones (the live table).
    /// The table must have a free slot; `NeedleMap` keeps the load at or below 0.85.
    mutating func insertAbsent(_ slot: NeedleMapSlot) {
        var carried = slot
        var i = home(carried.key)
        var distance = 0
        while true {
            let k = slots[i].key
            if k == Self.emptyKey {
                slots[i] = carried
                count += 1
                return
            }
            let resident = displacement(of: k, at: i)
            if resident < distance {
                // Take from the rich: the carried entry settles here, the resident moves on.
                swap(&slots[i], &carried)
                distance = resident
            }
            i = next(i)
            distance += 1
        }
    }

    /// Removes the entry at slot `i` by shifting the following run back one slot, so lookups
    /// stay correct without tombstones. Work is bounded by the length of that run.
    mutating func remove(at i: Int) {
        var hole = i
        var j = next(i)
        while true {
            let k = slots[j].key
            if k == Self.emptyKey || displacement(of: k, at: j) == 0 { break }
            slots[hole] = slots[j]
            hole = j
            j = next(j)
        }
        slots[hole].key = Self.emptyKey
        count -= 1
    }

    /// Marks slot `i` as removed in a table being drained: its neighbours are not moved,
    /// because the drain cursor must not see entries jump behind it.
    mutating func tombstone(at i: Int) {
        slots[i].key = Self.tombstoneKey
        count -= 1
    }

    /// Calls `body` for every real entry at or above slot `migrated`.
    func forEach(migrated: Int = 0, _ body: (Int64, NeedleLocation) -> Void) {
        for i in migrated..<capacity {
            let k = slots[i].key
            if k != Self.emptyKey && k != Self.tombstoneKey { body(k, location(at: i)) }
        }
    }
}
