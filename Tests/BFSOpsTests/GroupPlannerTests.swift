import BFSOps
import Testing

/// Rack-aware grouping: replicas on distinct racks whenever the racks allow it.
@Suite struct GroupPlannerTests {
    private func racks(of group: GroupPlanner.Planned, _ stores: [String: String]) -> Set<String> {
        Set(group.stores.map { stores[$0]! })
    }

    @Test func twoRacksOfTwoMakeTwoCrossRackPairs() {
        let stores = ["s-1": "r1", "s-2": "r1", "s-3": "r2", "s-4": "r2"]
        let plan = GroupPlanner.plan(stores: stores, copies: 2)
        #expect(plan.groups.count == 2 && plan.leftover.isEmpty)
        for g in plan.groups {
            #expect(g.rackDiverse && racks(of: g, stores).count == 2, "\(g)")
        }
        #expect(Set(plan.groups.flatMap(\.stores)) == Set(stores.keys))
    }

    @Test func theFullestRackIsSpreadFirst() {
        // An arbitrary-order split could pair a-1 with a-2 and strand b and c together.
        let stores = ["a-1": "a", "a-2": "a", "a-3": "a", "b-1": "b", "c-1": "c"]
        let plan = GroupPlanner.plan(stores: stores, copies: 2)
        #expect(plan.groups.count == 2)
        #expect(plan.groups.allSatisfy { $0.rackDiverse }, "\(plan.groups)")
        #expect(plan.leftover.count == 1)
    }

    @Test func threeCopiesOverThreeRacks() {
        let stores = ["x1": "x", "x2": "x", "y1": "y", "y2": "y", "z1": "z", "z2": "z"]
        let plan = GroupPlanner.plan(stores: stores, copies: 3)
        #expect(plan.groups.count == 2)
        for g in plan.groups { #expect(racks(of: g, stores) == ["x", "y", "z"]) }
    }

    @Test func tooFewRacksStillGroupsAndSaysSo() {
        let stores = ["s-1": "r1", "s-2": "r1", "s-3": "r1", "s-4": "r2"]
        let plan = GroupPlanner.plan(stores: stores, copies: 2)
        #expect(plan.groups.count == 2)
        #expect(plan.groups.filter(\.rackDiverse).count == 1, "only one pair can span both racks: \(plan.groups)")
        #expect(plan.groups.contains { !$0.rackDiverse })
    }

    @Test func fewerStoresThanCopiesMakeNoGroup() {
        let plan = GroupPlanner.plan(stores: ["s-1": "r1", "s-2": "r2"], copies: 3)
        #expect(plan.groups.isEmpty && plan.leftover == ["s-1", "s-2"])
    }
}
