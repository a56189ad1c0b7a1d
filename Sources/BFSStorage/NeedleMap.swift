/// Where a needle lives: offset in 8-byte units into the block, total padded needle size in bytes.
public struct NeedleLocation: Equatable, Sendable {
    /// Offset of the needle's first byte divided by 8; 0 means deleted (unit 0 is the super block).
    public var offsetUnits: UInt32
    /// Total padded size of the needle in bytes (header, data, footer, padding).
    public var totalSize: UInt32

    /// Makes a location from its two halves.
    public init(offsetUnits: UInt32, totalSize: UInt32) {
        self.offsetUnits = offsetUnits
        self.totalSize = totalSize
    }

    /// True for bfs's deleted marker: offset 0 with the size kept (reference §1.5).
    public var isDeleted: Bool { offsetUnits == 0 }
}

/// The in-memory needle map of one volume: key -> location (DESIGN.md §4.4).
///
/// Memory: 16 bytes per slot, load kept between 0.68 (right after growing by 1.25x at 0.85) and
/// 0.85, so a map that is not rehashing holds at most 16 / 0.68 ≈ 23.5 bytes per entry (plus one
/// page minimum and a few fixed bytes); `init(expectedCount:)` sizes for a load of 0.8
/// (20 bytes per entry). A rehash starts with both tables mapped (≈ 42 bytes per entry); the
/// drained part of the old table is returned to the kernel as the drain advances.
///
/// Growth is incremental: when the live table passes 0.85 load, a table 1.25x larger becomes
/// the live one and the old one is drained `migrationStep` slots per mutation. Lookups probe
/// the live table then the old one; each key is in exactly one of them.
///
/// Worst-case work per operation:
/// - `get`: one probe sequence in each table (Robin Hood runs are short at 0.85 load);
/// - `markDeleted`: the same, in place: it never moves an entry (see `layoutVersion`);
/// - `set` / `remove`: the same, plus migrating at most `migrationStep` (32)
///   old slots (≤ 32 hashed inserts, ≈ 512 bytes read), and every 128 mutations one `madvise`
///   returning 64 KiB of drained pages; growing maps a new table (one `mmap`, no initialization
///   pass) and finishing a drain unmaps the old one, whose pages are by then mostly released.
/// With 32 slots per mutation a drain of a table of capacity C ends after C/32 mutations, well
/// before the next growth, which needs ≥ 0.21·C more inserts; so the "grow while still
/// draining" path (finish the drain in one go) is reachable only with a smaller step (tests).
///
/// Running out of address space for a table traps, as any Swift allocation failure does.
/// Not thread-safe: the volume guards it with a `Mutex`. Sendable because it is the unique
/// owner of its memory (non-copyable), so moving it between threads moves that ownership.
/// The table never shrinks: a volume's needle count only grows until compaction builds a new map.
public struct NeedleMap: ~Copyable, @unchecked Sendable {
    /// Growth threshold as a fraction: grow past 17/20 = 0.85 load.
    static let maxLoadNumerator = 17, maxLoadDenominator = 20
    /// Growth factor 5/4: post-growth load is 0.85 / 1.25 = 0.68, and 24 B/entry needs ≥ 2/3
    /// (a factor ≤ 1.275). A smaller factor would cost more: on average 1/(g − 1) migrations
    /// per insert when growing from empty, 4 here.
    static let growthNumerator = 5, growthDenominator = 4
    /// Old slots migrated per mutation while a rehash is in progress.
    static let defaultMigrationStep = 32
    /// Drained memory is returned in chunks of this size: one `madvise` per 64 KiB (every 128
    /// mutations at the default step) keeps the system-call cost per mutation small.
    static let releaseChunkBytes = 64 << 10

    /// The table receiving inserts.
    var live: NeedleMapTable
    /// The table being drained into `live`, if a rehash is in progress.
    var draining: NeedleMapTable?
    /// Next slot of `draining` to migrate; slots below it are treated as gone.
    var cursor = 0
    /// Bytes at the start of `draining` already returned to the kernel.
    var releasedBytes = 0
    /// Entry count (both tables) beyond which `live` grows.
    var growthThreshold: Int
    /// Old slots migrated per mutation; tests lower it to force growth mid-rehash.
    let migrationStep: Int
    /// Side slot for key 0, which the tables use as their empty marker.
    var zeroKeyEntry: NeedleLocation?
    /// Side slot for `Int64.min`, which the tables use as their tombstone.
    var minKeyEntry: NeedleLocation?
    /// Entries with offset != 0.
    public private(set) var liveCount = 0
    /// Bumped whenever an entry may have moved between slots (an insert, a removal, a migration
    /// step): a walk in chunks (`forEach(from:slots:_:)`) is exact if it did not change between
    /// its chunks. Updating a location in place, `markDeleted` included, leaves it alone.
    private(set) var layoutVersion = 0

    /// Makes an empty map sized so `expectedCount` entries fit at 0.8 load without growing.
    public init(expectedCount: Int = 0) {
        self.init(expectedCount: expectedCount, migrationStep: Self.defaultMigrationStep)
    }

    /// Makes an empty map with a chosen migration step (tests use small steps).
    init(expectedCount: Int, migrationStep: Int) {
        precondition(migrationStep > 0, "needle map: migration step must be positive")
        let capacity = (max(expectedCount, 0) * 5 + 3) / 4
        live = NeedleMapTable(minimumCapacity: capacity)
        growthThreshold = Self.threshold(forCapacity: live.capacity)
        self.migrationStep = migrationStep
    }

    deinit {
        live.deallocate()
        draining?.deallocate()
    }

    /// Entry count beyond which a live table of `capacity` slots grows.
    static func threshold(forCapacity capacity: Int) -> Int {
        capacity * maxLoadNumerator / maxLoadDenominator
    }

    /// Entries including deleted markers.
    public var count: Int {
        live.count + (draining?.count ?? 0) + (zeroKeyEntry == nil ? 0 : 1) + (minKeyEntry == nil ? 0 : 1)
    }

    /// Bytes of memory the map holds: mapped table bytes (both tables during a rehash) plus
    /// the fixed part. Pages never touched are counted too: this is the committed figure.
    public var residentBytes: Int {
        live.byteSize + (draining.map { $0.byteSize - releasedBytes } ?? 0) + MemoryLayout<NeedleMap>.size
    }

    /// True while an old table is still being drained.
    public var isRehashing: Bool { draining != nil }

    /// Slots in the live table (for tests and measurements).
    var capacity: Int { live.capacity }

    /// The location of `key`, deleted entries included (offset 0), or nil if absent.
    public func get(_ key: Int64) -> NeedleLocation? {
        if key == NeedleMapTable.emptyKey { return zeroKeyEntry }
        if key == NeedleMapTable.tombstoneKey { return minKeyEntry }
        if let i = live.find(key) { return live.location(at: i) }
        if let old = draining, let i = old.find(key, migrated: cursor) { return old.location(at: i) }
        return nil
    }

    /// Stores `loc` for `key`; returns the previous location, if any.
    @discardableResult
    public mutating func set(_ key: Int64, _ loc: NeedleLocation) -> NeedleLocation? {
        migrate(upTo: migrationStep)
        let previous = update(key) { _ in loc }
        if previous == nil {
            if key == NeedleMapTable.emptyKey {
                zeroKeyEntry = loc
            } else if key == NeedleMapTable.tombstoneKey {
                minKeyEntry = loc
            } else {
                insertAbsent(key, loc)
            }
        }
        account(removing: previous, adding: loc)
        return previous
    }

    /// Sets the offset of `key` to 0 (deleted), keeping its size; returns the previous
    /// location, or nil (and changes nothing) if the key is absent.
    /// It migrates nothing: growth needs inserts, and those drive the drain.
    @discardableResult
    public mutating func markDeleted(_ key: Int64) -> NeedleLocation? {
        let previous = update(key) { NeedleLocation(offsetUnits: 0, totalSize: $0.totalSize) }
        if let previous {
            account(removing: previous, adding: NeedleLocation(offsetUnits: 0, totalSize: previous.totalSize))
        }
        return previous
    }

    /// Removes `key` entirely; returns its location, or nil if absent.
    @discardableResult
    public mutating func remove(_ key: Int64) -> NeedleLocation? {
        migrate(upTo: migrationStep)
        layoutVersion &+= 1
        var previous: NeedleLocation?
        if key == NeedleMapTable.emptyKey {
            previous = zeroKeyEntry
            zeroKeyEntry = nil
        } else if key == NeedleMapTable.tombstoneKey {
            previous = minKeyEntry
            minKeyEntry = nil
        } else if let i = live.find(key) {
            previous = live.location(at: i)
            live.remove(at: i)
        } else if draining != nil, let i = draining!.find(key, migrated: cursor) {
            previous = draining!.location(at: i)
            draining!.tombstone(at: i)
        }
        account(removing: previous, adding: nil)
        return previous
    }

    /// Calls `body` once for every entry, deleted markers included, in no particular order.
    public func forEach(_ body: (Int64, NeedleLocation) -> Void) {
        if let loc = zeroKeyEntry { body(NeedleMapTable.emptyKey, loc) }
        if let loc = minKeyEntry { body(NeedleMapTable.tombstoneKey, loc) }
        live.forEach(body)
        draining?.forEach(migrated: cursor, body)
    }

    /// Migrates every remaining old slot now, e.g. after a bulk load, to release the old table.
    public mutating func finishRehash() {
        while draining != nil { migrate(upTo: Int.max) }
    }

    /// Replaces the location of an existing `key` with `transform(old)` wherever it lives;
    /// returns the old location, or nil if the key is absent.
    private mutating func update(_ key: Int64, _ transform: (NeedleLocation) -> NeedleLocation) -> NeedleLocation? {
        if key == NeedleMapTable.emptyKey {
            guard let old = zeroKeyEntry else { return nil }
            zeroKeyEntry = transform(old)
            return old
        }
        if key == NeedleMapTable.tombstoneKey {
            guard let old = minKeyEntry else { return nil }
            minKeyEntry = transform(old)
            return old
        }
        if let i = live.find(key) {
            let old = live.location(at: i)
            live.store(transform(old), at: i)
            return old
        }
        // Updated in place rather than moved: the old table only loses entries, never gains.
        if let table = draining, let i = table.find(key, migrated: cursor) {
            let old = table.location(at: i)
            table.store(transform(old), at: i)
            return old
        }
        return nil
    }

    private mutating func account(removing old: NeedleLocation?, adding new: NeedleLocation?) {
        if let old, !old.isDeleted { liveCount -= 1 }
        if let new, !new.isDeleted { liveCount += 1 }
    }

    /// Inserts a key absent from both tables, growing first if the live table would pass 0.85.
    private mutating func insertAbsent(_ key: Int64, _ loc: NeedleLocation) {
        layoutVersion &+= 1
        if live.count + (draining?.count ?? 0) + 1 > growthThreshold {
            // Only reachable mid-drain with a step below the default (see the type comment).
            finishRehash()
            let grown = live.capacity * Self.growthNumerator / Self.growthDenominator
            draining = live
            live = NeedleMapTable(minimumCapacity: max(grown, live.capacity + 1))
            cursor = 0
            releasedBytes = 0
            growthThreshold = Self.threshold(forCapacity: live.capacity)
        }
        live.insertAbsent(NeedleMapSlot(key: key, offsetUnits: loc.offsetUnits, totalSize: loc.totalSize))
    }

    /// Moves up to `budget` old slots into the live table, returning drained pages to the kernel
    /// as the cursor passes them, so memory falls during the drain and the final unmap of the
    /// old table is short whatever its size.
    private mutating func migrate(upTo budget: Int) {
        guard var old = draining else { return }
        layoutVersion &+= 1
        let end = old.capacity - cursor <= budget ? old.capacity : cursor + budget
        while cursor < end && old.count > 0 {
            let slot = old.slots[cursor]
            if slot.key != NeedleMapTable.emptyKey && slot.key != NeedleMapTable.tombstoneKey {
                // No tombstone written: lookups skip every slot below the cursor.
                live.insertAbsent(slot)
                old.count -= 1
            }
            cursor += 1
        }
        if old.count == 0 {
            old.deallocate()
            draining = nil
            cursor = 0
            releasedBytes = 0
        } else {
            if cursor * NeedleMapTable.slotSize - releasedBytes >= Self.releaseChunkBytes {
                releasedBytes = old.release(from: releasedBytes, below: cursor)
            }
            draining = old
        }
    }
}
