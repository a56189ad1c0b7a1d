import BFSCluster
import BFSCoordination
import BFSCore

/// Where one upload goes: a volume and every store holding it.
public struct Placement: Sendable, Equatable {
    /// The group whose stores hold the volume.
    public var group: Int
    /// The volume to write.
    public var vid: VolumeID
    /// The stores to write, in group member order; never empty.
    public var stores: [StoreNode]
}

/// Chooses a writable volume for an upload (DESIGN §5), fixing bfs's dispatcher (reference §2.3,
/// §6.16).
///
/// * A group is eligible when it has members, every member is in the snapshot, live
///   (`/live/<id>`) and `Health`, and at least one volume has room on every member.
/// * A volume has room on a group when every member registered it (`/rack/.../<vid>`) and its
///   state on every member shows more than `minimumFreeSpace`; a volume never probed has no
///   known room and is skipped. So a group whose stores hold a single volume is writable
///   (bfs wanted 32 GiB free per store), and a vid is only answered with the stores holding it.
/// * Group weight = (minimum over members of the free space of the group's roomy volumes on
///   that member, in bytes) × h / (h + latency), where latency is the slowest member's write
///   latency and h = `latencyHalfWeight`: free space decides, a member writing h slower halves
///   its group's share. (bfs took the last member's score instead of the minimum.)
/// * Within the group, a volume's weight is its minimum free space over the members, so writes
///   spread over all volumes with room instead of filling the lowest vid first.
///
/// Pure over its inputs: the same snapshot, latencies and generator state give the same answer.
public struct PlacementPolicy: Sendable {
    /// Free space a replica must exceed to take writes, in bfs's 8-byte units (bfs: 80 MiB).
    public var minimumFreeSpace: UInt32
    /// The write latency at which a group's weight halves.
    public var latencyHalfWeight: Duration

    /// Makes a policy (defaults: bfs's 80 MiB threshold, 100 ms as bfs's latency bucket).
    public init(minimumFreeSpace: UInt32 = 10 * 1024 * 1024, latencyHalfWeight: Duration = .milliseconds(100)) {
        self.minimumFreeSpace = minimumFreeSpace
        self.latencyHalfWeight = latencyHalfWeight
    }

    /// One eligible group and the weights placement draws with.
    public struct Candidate: Sendable, Equatable {
        /// The group id.
        public var group: Int
        /// The group's draw weight (see the type's documentation).
        public var weight: Double
        /// The volumes with room and their draw weights, ascending by vid.
        public var volumes: [VolumeChoice]
    }

    /// A volume with room in an eligible group.
    public struct VolumeChoice: Sendable, Equatable {
        /// The volume id.
        public var vid: VolumeID
        /// Its draw weight: the minimum free space over the members, in 8-byte units.
        public var weight: Double
    }

    /// Picks a group by weight, then a volume in it by weight.
    ///
    /// `latencies` are per-store write latencies the caller measured (an EWMA); a store missing
    /// from it is judged by its volumes' `total_write_delay / total_write_processed`.
    /// `excluding` names groups not to use (a proxy retrying an upload after a replica of one
    /// group failed); when every eligible group is excluded the answer is `.noWritableGroup`.
    public func place<G: RandomNumberGenerator>(in snapshot: ClusterSnapshot, latencies: [StoreID: Duration] = [:],
                                                excluding: Set<Int> = [],
                                                using generator: inout G) throws(DirectoryError) -> Placement {
        let candidates = candidates(in: snapshot, latencies: latencies).filter { !excluding.contains($0.group) }
        guard let candidate = Self.draw(candidates, weight: \.weight, using: &generator),
              let volume = Self.draw(candidate.volumes, weight: \.weight, using: &generator),
              let members = snapshot.groups[candidate.group]?.members
        else { throw .noWritableGroup }
        return Placement(group: candidate.group, vid: volume.vid, stores: members.compactMap { snapshot.stores[$0]?.node })
    }

    /// Every eligible group with its weights, ascending by group id.
    public func candidates(in snapshot: ClusterSnapshot, latencies: [StoreID: Duration] = [:]) -> [Candidate] {
        snapshot.groups.keys.sorted().compactMap { gid -> Candidate? in
            guard let group = snapshot.groups[gid], !group.members.isEmpty else { return nil }
            let members = group.members.compactMap { snapshot.stores[$0] }
            guard members.count == group.members.count, members.allSatisfy(\.isWritable) else { return nil }
            let volumes = roomyVolumes(of: members, in: snapshot)
            guard !volumes.isEmpty else { return nil }
            let minimumFree = members.map { member in
                volumes.reduce(0.0) { $0 + Double(snapshot.volumes[$1.vid]?.state(on: member.id)?.freeSpace ?? 0) }
            }.min() ?? 0
            let latency = members.map { latencies[$0.id] ?? Self.observedLatency(of: $0, in: snapshot) }.max() ?? .zero
            let half = Self.seconds(latencyHalfWeight)
            let weight = minimumFree * 8 * half / (half + Self.seconds(latency))
            return Candidate(group: gid, weight: weight, volumes: volumes)
        }
    }

    /// The volumes every member registered and that have room on every member, with their weight.
    private func roomyVolumes(of members: [ClusterStore], in snapshot: ClusterSnapshot) -> [VolumeChoice] {
        guard let first = members.first else { return [] }
        return first.volumes.compactMap { vid -> VolumeChoice? in
            guard let volume = snapshot.volumes[vid] else { return nil }
            var minimum = UInt32.max
            for member in members {
                guard member.volumes.contains(vid), let state = volume.state(on: member.id),
                      state.freeSpace > minimumFreeSpace else { return nil }
                minimum = min(minimum, state.freeSpace)
            }
            return VolumeChoice(vid: vid, weight: Double(minimum))
        }
    }

    /// Mean write delay over a store's probed volumes (pitchfork's counters), zero if none wrote.
    static func observedLatency(of store: ClusterStore, in snapshot: ClusterSnapshot) -> Duration {
        var delay: UInt64 = 0, writes: UInt64 = 0
        for vid in store.volumes {
            guard let state = snapshot.volumes[vid]?.state(on: store.id) else { continue }
            delay &+= state.totalWriteDelay
            writes &+= state.totalWriteProcessed
        }
        return writes == 0 ? .zero : .nanoseconds(delay / writes)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// One element drawn with probability proportional to its weight; nil if none weighs > 0.
    private static func draw<T, G: RandomNumberGenerator>(_ items: [T], weight: (T) -> Double, using generator: inout G) -> T? {
        let total = items.reduce(0) { $0 + max(0, weight($1)) }
        guard total > 0 else { return nil }
        var point = Double.random(in: 0..<total, using: &generator)
        for item in items {
            let share = max(0, weight(item))
            if point < share { return item }
            point -= share
        }
        return items.last { weight($0) > 0 }
    }
}
