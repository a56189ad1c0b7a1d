import BFSCluster
import BFSCoordination
import BFSCore
import BFSTestSupport
@testable import BFSDirectory
import Testing

@Suite struct PlacementTests {
    let policy = PlacementPolicy()
    /// Comfortably above the 80 MiB threshold (10 Mi units).
    let roomy: UInt32 = 100 * 1024 * 1024

    @Test func randomClustersOnlyGetWritableVolumesWithTheirStores() throws {
        let seed = SeededGenerator.printedSeed("placement clusters")
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let snapshot = randomCluster(using: &generator)
            let expected = eligiblePairs(in: snapshot)
            for _ in 0..<20 {
                guard !expected.isEmpty else {
                    #expect(throws: DirectoryError.noWritableGroup) { try policy.place(in: snapshot, using: &generator) }
                    break
                }
                let placement = try policy.place(in: snapshot, using: &generator)
                #expect(expected.contains(Pair(group: placement.group, vid: placement.vid)), "seed \(seed)")
                #expect(!placement.stores.isEmpty)
                let members = try #require(snapshot.groups[placement.group]).members
                #expect(placement.stores.map(\.id) == members)
                for node in placement.stores {
                    let store = try #require(snapshot.stores[node.id])
                    #expect(store.isLive && store.node.status == .health && store.volumes.contains(placement.vid))
                }
            }
        }
    }

    @Test func aGroupWithOneUnhealthyOrDeadMemberIsNeverChosen() throws {
        var generator = SeededGenerator(seed: SeededGenerator.printedSeed("unhealthy member"))
        for (status, live) in [(StoreNode.Status.read, true), (.fail, true), (.initial, true), (.write, true), (.health, false)] {
            var cluster = SnapshotBuilder()
            cluster.healthyGroup(1, vids: [1], free: roomy)
            cluster.healthyGroup(2, vids: [2], free: roomy)
            cluster.store("2-1", status: status, live: live, volumes: [2])
            for _ in 0..<500 {
                #expect(try policy.place(in: cluster.snapshot, using: &generator).group == 1, "status \(status.rawValue) live \(live)")
            }
        }
    }

    @Test func aGroupNamingAMissingStoreIsNeverChosen() throws {
        var cluster = SnapshotBuilder()
        cluster.healthyGroup(1, vids: [1], free: roomy)
        cluster.group(1, ["1-0", "1-1", "1-2", "gone"])
        var generator = SeededGenerator(seed: 7)
        #expect(throws: DirectoryError.noWritableGroup) { try policy.place(in: cluster.snapshot, using: &generator) }
    }

    @Test func neverAVidWithoutStores() throws {
        var cluster = SnapshotBuilder()
        cluster.volume(1, on: [], free: roomy)
        cluster.group(1, [])
        var generator = SeededGenerator(seed: 1)
        #expect(throws: DirectoryError.noWritableGroup) { try policy.place(in: cluster.snapshot, using: &generator) }
        #expect(DirectoryError.noWritableGroup.ret == .storeNotAvailable)
    }

    @Test func aFullOrUnprobedVolumeIsSkipped() throws {
        var cluster = SnapshotBuilder()
        cluster.healthyGroup(1, vids: [1, 2, 3], free: roomy)
        // vid 1 is full on one replica only; vid 3 was never probed.
        cluster.replica(1, on: "1-1", free: policy.minimumFreeSpace)
        cluster.volume(3, on: ["1-0", "1-1", "1-2"], free: nil)
        var generator = SeededGenerator(seed: SeededGenerator.printedSeed("full volume"))
        for _ in 0..<500 {
            #expect(try policy.place(in: cluster.snapshot, using: &generator).vid == 2)
        }
        cluster.replica(2, on: "1-2", free: 0)
        #expect(throws: DirectoryError.noWritableGroup) { try policy.place(in: cluster.snapshot, using: &generator) }
    }

    @Test func aGroupWithOneSmallVolumePerStoreIsWritable() throws {
        // bfs needed ~32 GiB free summed per store; one volume with 1 GiB left is plenty here.
        var cluster = SnapshotBuilder()
        cluster.healthyGroup(1, vids: [9], free: 128 * 1024 * 1024)
        var generator = SeededGenerator(seed: 3)
        let placement = try policy.place(in: cluster.snapshot, using: &generator)
        #expect(placement.vid == 9)
        #expect(placement.stores.map(\.id) == ["1-0", "1-1", "1-2"])
    }

    @Test func loadSpreadsOverGroupsByMinimumFreeSpace() throws {
        var cluster = SnapshotBuilder()
        cluster.healthyGroup(1, vids: [1], free: roomy)
        cluster.healthyGroup(2, vids: [2], free: 3 * roomy)
        // One member of group 3 is nearly as empty as group 2's, the others as group 1's: the
        // minimum counts (bfs took the last member's score).
        cluster.healthyGroup(3, vids: [3], free: roomy)
        cluster.replica(3, on: "3-2", free: 3 * roomy)
        let shares = try groupShares(cluster.snapshot, draws: 20_000)
        #expect(abs(shares[1, default: 0] - 0.2) < 0.02)
        #expect(abs(shares[2, default: 0] - 0.6) < 0.02)
        #expect(abs(shares[3, default: 0] - 0.2) < 0.02)
    }

    @Test func slowGroupsGetLessLoad() throws {
        var cluster = SnapshotBuilder()
        cluster.healthyGroup(1, vids: [1], free: roomy)
        cluster.healthyGroup(2, vids: [2], free: roomy)
        // At latencyHalfWeight a group's weight halves: shares 2/3 and 1/3.
        let measured = try groupShares(cluster.snapshot, latencies: ["2-1": .milliseconds(100)], draws: 20_000)
        #expect(abs(measured[1, default: 0] - 2.0 / 3) < 0.02)
        // Without a measurement, pitchfork's counters speak: 100 ms mean delay on group 1.
        cluster.volume(1, on: ["1-0", "1-1", "1-2"], free: roomy, delay: 50 * 100_000_000, writes: 50)
        let observed = try groupShares(cluster.snapshot, draws: 20_000)
        #expect(abs(observed[2, default: 0] - 2.0 / 3) < 0.02)
    }

    @Test func loadSpreadsOverAGroupsVolumes() throws {
        var cluster = SnapshotBuilder()
        cluster.healthyGroup(1, vids: [1, 2, 3], free: roomy)
        cluster.volume(3, on: ["1-0", "1-1", "1-2"], free: 2 * roomy)
        var generator = SeededGenerator(seed: SeededGenerator.printedSeed("volume spread"))
        var counts: [VolumeID: Int] = [:]
        let draws = 20_000
        for _ in 0..<draws { counts[try policy.place(in: cluster.snapshot, using: &generator).vid, default: 0] += 1 }
        #expect(abs(Double(counts[1, default: 0]) / Double(draws) - 0.25) < 0.02)
        #expect(abs(Double(counts[2, default: 0]) / Double(draws) - 0.25) < 0.02)
        #expect(abs(Double(counts[3, default: 0]) / Double(draws) - 0.5) < 0.02)
    }

    @Test func sameInputsSameChoices() throws {
        var generator = SeededGenerator(seed: SeededGenerator.printedSeed("determinism"))
        let snapshot = randomClusterWithAWritableGroup(using: &generator)
        let seed = generator.next()
        var first = SeededGenerator(seed: seed), second = SeededGenerator(seed: seed)
        for _ in 0..<100 {
            #expect(try policy.place(in: snapshot, using: &first) == policy.place(in: snapshot, using: &second))
        }
    }

    // MARK: - Helpers

    struct Pair: Hashable {
        var group: Int
        var vid: VolumeID
    }

    /// The (group, vid) pairs placement may answer, decided independently of `PlacementPolicy`.
    func eligiblePairs(in snapshot: ClusterSnapshot) -> Set<Pair> {
        var pairs = Set<Pair>()
        for group in snapshot.groups.values where !group.members.isEmpty {
            let stores = group.members.compactMap { snapshot.stores[$0] }
            guard stores.count == group.members.count,
                  stores.allSatisfy({ $0.isLive && $0.node.status == .health }) else { continue }
            for vid in Set(stores.flatMap(\.volumes)) {
                let roomy = stores.allSatisfy { store in
                    guard store.volumes.contains(vid), let volume = snapshot.volumes[vid] else { return false }
                    let state = volume.replicas[store.id].flatMap { $0 } ?? volume.state
                    return (state?.freeSpace ?? 0) > policy.minimumFreeSpace
                }
                if roomy { pairs.insert(Pair(group: group.id, vid: vid)) }
            }
        }
        return pairs
    }

    func groupShares(_ snapshot: ClusterSnapshot, latencies: [StoreID: Duration] = [:], draws: Int) throws -> [Int: Double] {
        var generator = SeededGenerator(seed: SeededGenerator.printedSeed("group shares"))
        var counts: [Int: Int] = [:]
        for _ in 0..<draws { counts[try policy.place(in: snapshot, latencies: latencies, using: &generator).group, default: 0] += 1 }
        return counts.mapValues { Double($0) / Double(draws) }
    }

    func randomClusterWithAWritableGroup(using generator: inout SeededGenerator) -> ClusterSnapshot {
        while true {
            let snapshot = randomCluster(using: &generator)
            if !eligiblePairs(in: snapshot).isEmpty { return snapshot }
        }
    }

    /// A cluster of up to six groups with every kind of defect, at random.
    func randomCluster(using generator: inout SeededGenerator) -> ClusterSnapshot {
        var cluster = SnapshotBuilder()
        var nextVid: VolumeID = 1
        for gid in 1...Int.random(in: 1...6, using: &generator) {
            let members = (0..<Int.random(in: 0...3, using: &generator)).map { "\(gid)-\($0)" }
            let vids = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
                defer { nextVid += 1 }
                return nextVid
            }
            for member in members where Int.random(in: 0..<20, using: &generator) != 0 {
                let status: StoreNode.Status = [.health, .health, .health, .read, .fail, .initial, .write].randomElement(using: &generator)!
                let held = vids.filter { _ in Int.random(in: 0..<10, using: &generator) != 0 }
                cluster.store(member, status: status, live: Int.random(in: 0..<8, using: &generator) != 0, volumes: held)
            }
            cluster.group(gid, members)
            for vid in vids {
                let free: UInt32? = switch Int.random(in: 0..<10, using: &generator) {
                case 0: nil
                case 1, 2: UInt32.random(in: 0...policy.minimumFreeSpace, using: &generator)
                default: UInt32.random(in: policy.minimumFreeSpace + 1...UInt32.max, using: &generator)
                }
                cluster.volume(vid, on: members, free: free)
                if let member = members.randomElement(using: &generator), Int.random(in: 0..<5, using: &generator) == 0 {
                    cluster.replica(vid, on: member, free: UInt32.random(in: 0...UInt32.max, using: &generator))
                }
            }
        }
        return cluster.snapshot
    }
}
