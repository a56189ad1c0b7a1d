import BFSCore

/// Which stores a pitchfork probes: stores sorted by id are dealt round-robin to the live
/// pitchforks sorted by node name, so every live pitchfork computes the same division from the
/// same snapshot, every store has exactly one owner whatever the counts (bfs gave nobody
/// anything when pitchforks outnumbered stores, reference §3.1), and surplus pitchforks idle.
enum WorkDivision {
    /// The stores `me` owns; none while `me` is not (yet) among `pitchforks`.
    static func stores(_ stores: some Collection<StoreID>, pitchforks: [String], me: String) -> [StoreID] {
        let members = pitchforks.sorted()
        guard let index = members.firstIndex(of: me) else { return [] }
        return stores.sorted().enumerated().filter { $0.offset % members.count == index }.map(\.element)
    }
}
