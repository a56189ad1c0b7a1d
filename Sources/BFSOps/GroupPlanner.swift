import BFSCore

/// Splits ungrouped stores into replica groups of `copies`, rack-aware: the replicas of a group
/// sit on distinct racks whenever the remaining stores allow it (bfs took its stores in
/// arbitrary order and ignored its own rack parameter, reference §5).
///
/// Greedy: each group takes one store from each of the `copies` racks with the most stores
/// left (ties by rack name, stores in id order). Taking from the fullest racks first keeps as
/// many racks in play as long as possible, so the number of rack-diverse groups is the most
/// the racks allow. When fewer than `copies` racks have stores left, the remaining groups reuse
/// racks (still spreading over as many as there are) and say so in `rackDiverse`.
public enum GroupPlanner {
    /// One planned group.
    public struct Planned: Sendable, Equatable {
        /// The stores, in the order they were picked.
        public var stores: [StoreID]
        /// Whether every store of the group sits on a different rack.
        public var rackDiverse: Bool
    }

    /// Groups for `stores` (id -> rack); stores that do not fill a last group stay out (`leftover`).
    public static func plan(stores: [StoreID: String], copies: Int) -> (groups: [Planned], leftover: [StoreID]) {
        precondition(copies >= 1)
        var byRack: [String: [StoreID]] = [:]
        for (id, rack) in stores { byRack[rack, default: []].append(id) }
        for rack in byRack.keys { byRack[rack]?.sort() }
        var groups: [Planned] = []
        while byRack.values.reduce(0, { $0 + $1.count }) >= copies {
            var picked: [StoreID] = []
            var racksUsed: Set<String> = []
            while picked.count < copies {
                // Fullest rack not used by this group yet; once all are used, the fullest overall.
                let order = byRack.filter { !$0.value.isEmpty }
                    .sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }
                guard let rack = order.first(where: { !racksUsed.contains($0.key) })?.key ?? order.first?.key else { break }
                picked.append(byRack[rack]!.removeFirst())
                racksUsed.insert(rack)
            }
            groups.append(Planned(stores: picked, rackDiverse: racksUsed.count == picked.count))
        }
        let leftover = byRack.values.flatMap { $0 }.sorted()
        return (groups, leftover)
    }
}
