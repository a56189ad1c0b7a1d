import BFSCoordination
import BFSCore
import BFSTestSupport
@testable import BFSDirectory
import Dispatch
import Logging
import Testing

@Suite struct KeyGeneratorTests {
    @Test func keyLayoutMatchesTheTable() {
        // 2026-01-01T00:00:00Z, worker 5, sequence 7, by hand: (ms - epoch) << 22 | 5 << 12 | 7.
        let millisecond: Int64 = 1_767_225_600_000
        let key = KeyGenerator.key(millisecond: millisecond, worker: 5, sequence: 7)
        #expect(key == (1_767_225_600_000 - 1_288_834_974_657) * 4_194_304 + 5 * 4096 + 7)
        #expect(key == 2_006_515_713_438_666_759)
        let fields = KeyGenerator.fields(of: key)
        #expect(fields.millisecond == millisecond && fields.worker == 5 && fields.sequence == 7)
        // The highest worker and sequence stay inside their fields.
        let top = KeyGenerator.key(millisecond: millisecond, worker: 1023, sequence: 4095)
        #expect(KeyGenerator.fields(of: top) == (millisecond, 1023, 4095))
    }

    @Test func refusesWithoutAWorker() {
        let generator = KeyGenerator(clock: { 1_767_225_600_000 })
        #expect(throws: DirectoryError.noWorkerLease) { try generator.next() }
        #expect(DirectoryError.noWorkerLease.ret == .idNotAvailable)
    }

    @Test func refusesRatherThanRepeatOnAClockStepBack() throws {
        let clock = ManualClock(1_767_225_600_000)
        let generator = KeyGenerator(clock: clock.read)
        generator.setWorker(3)
        let before = try generator.next()
        clock.set(1_767_225_599_990)
        #expect(throws: DirectoryError.clockMovedBackwards(lastMillisecond: 1_767_225_600_000, nowMillisecond: 1_767_225_599_990)) {
            try generator.next()
        }
        // Back at the last millisecond the sequence goes on from where it was.
        clock.set(1_767_225_600_000)
        let after = try generator.next()
        #expect(after > before)
        #expect(KeyGenerator.fields(of: after).sequence == 1)
    }

    @Test func refusesPastTheSequenceOfOneMillisecond() throws {
        let clock = ManualClock(1_767_225_600_000)
        let generator = KeyGenerator(clock: clock.read)
        generator.setWorker(0)
        var keys = Set<NeedleKey>()
        for _ in 0..<4096 { keys.insert(try generator.next()) }
        #expect(keys.count == 4096)
        #expect(throws: DirectoryError.sequenceExhausted(millisecond: 1_767_225_600_000)) { try generator.next() }
        clock.set(1_767_225_600_001)
        #expect(try generator.next() > keys.max()!)
    }

    @Test func twoDirectoriesOnOneCoordinationMakeUniqueIncreasingKeys() async throws {
        let tree = EmbeddedTree()
        let first = try await LeasedGenerator(tree: tree)
        let second = try await LeasedGenerator(tree: tree)
        #expect(first.worker != second.worker)
        var all = Set<NeedleKey>()
        var last: [NeedleKey] = [0, 0]
        var lastMillisecond: Int64 = 0
        for round in 0..<20_000 {
            let side = round % 2
            let generator = side == 0 ? first.generator : second.generator
            let key: NeedleKey
            do {
                key = try generator.next()
            } catch .sequenceExhausted {
                continue
            }
            #expect(key > last[side])
            // Across the two, keys made later never carry an earlier millisecond.
            #expect(KeyGenerator.fields(of: key).millisecond >= lastMillisecond)
            lastMillisecond = KeyGenerator.fields(of: key).millisecond
            last[side] = key
            all.insert(key)
        }
        #expect(all.count > 19_000)
        await first.close()
        await second.close()
    }

    @Test func leaseSkipsAWorkerIdHeldByAnotherLiveDirectory() async throws {
        let tree = EmbeddedTree()
        let holder = try EmbeddedCoordination(tree: tree, executor: { DispatchQueue.global().async(execute: $0) })
        try await holder.ensurePath(ZnodeLayout.keyWorkers)
        // Two children were created, so the next lease is number 2 and tries id 2 first; 2 and 3
        // are held.
        _ = try await holder.create(ZnodeLayout.keyWorkerID(2), data: [], mode: .ephemeral)
        _ = try await holder.create(ZnodeLayout.keyWorkerID(3), data: [], mode: .ephemeral)
        let leased = try await LeasedGenerator(tree: tree)
        #expect(leased.worker == 4)
        #expect(ZnodeLayout.keyWorkerID(4) == "/keyworker/id-4")
        let claim = try await holder.get(ZnodeLayout.keyWorkerID(4))
        #expect(String(decoding: claim.data, as: UTF8.self) == "/keyworker/lease-0000000002")
        await leased.close()
        await holder.close()
    }

    @Test func anExpiredSessionGetsItsWorkerIdBack() async throws {
        let tree = EmbeddedTree()
        let leased = try await LeasedGenerator(tree: tree)
        let worker = try #require(leased.worker)
        let before = try leased.generator.next()
        leased.coordination.expire()
        #expect(try await eventually { leased.generator.worker == worker })
        #expect(try leased.generator.next() > before)
        let claim = try #require(try await leased.coordination.exists(ZnodeLayout.keyWorkerID(worker)))
        #expect(claim.ephemeralOwner == leased.coordination.sessionID)
        await leased.close()
    }

    @Test func aWorkerIdTakenDuringAnExpiryIsNotUsedAgain() async throws {
        let tree = EmbeddedTree()
        let leased = try await LeasedGenerator(tree: tree)
        let worker = try #require(leased.worker)
        leased.lease.sessionDidChange(.expired)
        #expect(throws: DirectoryError.noWorkerLease) { try leased.generator.next() }

        // While the session was gone another directory claimed the id, so re-creating it failed.
        let rival = try EmbeddedCoordination(tree: tree, executor: { DispatchQueue.global().async(execute: $0) })
        try await rival.delete(ZnodeLayout.keyWorkerID(worker))
        _ = try await rival.create(ZnodeLayout.keyWorkerID(worker), data: [], mode: .ephemeral)
        leased.lease.sessionDidChange(.recovered(renamed: [:], failed: [ZnodeLayout.keyWorkerID(worker)]))
        // From here the old id is never used: keys pause until a new id is leased (which may
        // already have happened on the lease's executor), then carry the new id.
        do {
            let key = try leased.generator.next()
            #expect(KeyGenerator.fields(of: key).worker != worker)
        } catch {
            #expect(error == .noWorkerLease)
        }

        #expect(try await eventually { leased.generator.worker != nil })
        let again = try #require(leased.generator.worker)
        #expect(again != worker)
        #expect(KeyGenerator.fields(of: try leased.generator.next()).worker == again)
        #expect(try await rival.exists(ZnodeLayout.keyWorkerID(worker))?.ephemeralOwner == rival.sessionID)
        await leased.close()
        await rival.close()
    }

    @Test func disconnectPausesKeys() async throws {
        let tree = EmbeddedTree()
        let leased = try await LeasedGenerator(tree: tree)
        let worker = leased.worker
        leased.lease.sessionDidChange(.disconnected)
        #expect(throws: DirectoryError.noWorkerLease) { try leased.generator.next() }
        leased.lease.sessionDidChange(.connected)
        #expect(leased.generator.worker == worker)
        await leased.close()
    }
}

/// A `KeyGenerator` with a worker id leased from an embedded tree, as one directory has.
struct LeasedGenerator {
    let coordination: EmbeddedCoordination
    let generator = KeyGenerator()
    let lease: WorkerLease

    init(tree: EmbeddedTree) async throws {
        coordination = try EmbeddedCoordination(tree: tree, executor: { DispatchQueue.global().async(execute: $0) })
        lease = WorkerLease(coordination: coordination, generator: generator, logger: Logger(label: "test.lease"))
        try await lease.acquire()
    }

    var worker: Int? { generator.worker }

    func close() async {
        await lease.release()
        await coordination.close()
    }
}

/// A settable millisecond clock.
final class ManualClock: Sendable {
    private let now: Locked<Int64>
    init(_ start: Int64) { now = Locked(start) }
    func set(_ value: Int64) { now.with { $0 = value } }
    var read: @Sendable () -> Int64 { { [now] in now.get } }
}

/// `waitUntil` in its async form: a plain closure would pick the overload that sleeps the
/// thread, starving the cooperative pool the lease's tasks run on.
func eventually(seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
    try await waitUntil(seconds: seconds) { () async -> Bool in condition() }
}
