import BFSCore
import Testing
@testable import BFSPitchfork

/// The division of stores among pitchforks (`WorkDivision`).
@Suite struct WorkDivisionTests {
    func division(stores: Int, pitchforks: Int) -> [String: [StoreID]] {
        let storeIDs = (1...max(stores, 1)).prefix(stores).map { "s-\($0)" }
        let names = (1...pitchforks).map { String(format: "%010d", $0 * 7) }
        var out: [String: [StoreID]] = [:]
        for name in names { out[name] = WorkDivision.stores(storeIDs.shuffled(), pitchforks: names.shuffled(), me: name) }
        return out
    }

    @Test(arguments: [(0, 1), (1, 1), (3, 2), (3, 5), (2, 3), (10, 3), (7, 7)])
    func everyStoreHasExactlyOneOwner(stores: Int, pitchforks: Int) {
        let owned = division(stores: stores, pitchforks: pitchforks).values.flatMap { $0 }
        #expect(owned.count == stores)
        #expect(Set(owned).count == stores)
    }

    /// bfs gave nobody anything when pitchforks outnumbered stores (reference §3.1 step 3).
    @Test func morePitchforksThanStoresStillProbesEveryStore() {
        let d = division(stores: 3, pitchforks: 5)
        #expect(d.values.filter { !$0.isEmpty }.count == 3)
    }

    @Test func loadIsBalanced() {
        let counts = division(stores: 10, pitchforks: 3).values.map(\.count).sorted()
        #expect(counts == [3, 3, 4])
    }

    @Test func notYetListedPitchforkOwnsNothing() {
        #expect(WorkDivision.stores(["s-1", "s-2"], pitchforks: ["0000000001"], me: "0000000002").isEmpty)
    }

    @Test func divisionIsTheSameForEveryInputOrder() {
        let stores = ["b", "a", "c", "d"]
        let first = WorkDivision.stores(stores, pitchforks: ["2", "1"], me: "1")
        #expect(first == ["a", "c"])
        #expect(WorkDivision.stores(stores.reversed(), pitchforks: ["1", "2"], me: "1") == first)
    }
}
