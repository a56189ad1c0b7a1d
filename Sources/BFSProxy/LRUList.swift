/// The entries of a bounded LRU map in flat arrays: slots chained into a doubly linked
/// recency list by index (head = most recent), plus a dictionary from key to slot. Slots are
/// reused, so a full cache allocates nothing on insert. Not thread-safe; `MetadataCache`
/// guards it.
struct LRUList<Key: Hashable, Value> {
    private struct Entry {
        var key: Key
        var value: Value
        var expiry: UInt64
        var previous: Int
        var next: Int
    }

    /// Marks the end of the chain.
    private static var none: Int { -1 }

    private let capacity: Int
    private var entries: [Entry?] = []
    private var slots: [Key: Int] = [:]
    private var free: [Int] = []
    private var head = LRUList.none
    private var tail = LRUList.none

    init(capacity: Int) {
        self.capacity = capacity
        slots.reserveCapacity(capacity)
    }

    var count: Int { slots.count }

    func slot(of key: Key) -> Int? { slots[key] }
    func expiry(at slot: Int) -> UInt64 { entries[slot]!.expiry }
    func value(at slot: Int) -> Value { entries[slot]!.value }

    /// Makes `slot` the most recently used.
    mutating func touch(_ slot: Int) {
        guard head != slot else { return }
        unlink(slot)
        linkAtHead(slot)
    }

    mutating func insert(_ key: Key, _ value: Value, expiry: UInt64) {
        if let slot = slots[key] {
            entries[slot]!.value = value
            entries[slot]!.expiry = expiry
            touch(slot)
            return
        }
        if slots.count >= capacity { remove(tail) }
        let entry = Entry(key: key, value: value, expiry: expiry, previous: Self.none, next: Self.none)
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            entries[slot] = entry
        } else {
            slot = entries.count
            entries.append(entry)
        }
        slots[key] = slot
        linkAtHead(slot)
    }

    mutating func remove(_ slot: Int) {
        unlink(slot)
        slots[entries[slot]!.key] = nil
        entries[slot] = nil
        free.append(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let previous = entries[slot]!.previous, next = entries[slot]!.next
        if previous == Self.none { head = next } else { entries[previous]!.next = next }
        if next == Self.none { tail = previous } else { entries[next]!.previous = previous }
        entries[slot]!.previous = Self.none
        entries[slot]!.next = Self.none
    }

    private mutating func linkAtHead(_ slot: Int) {
        entries[slot]!.next = head
        if head != Self.none { entries[head]!.previous = slot }
        head = slot
        if tail == Self.none { tail = slot }
    }
}
