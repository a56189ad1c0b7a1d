import BFSCoordination
import BFSCore
import Testing
@testable import BFSPitchfork

/// The status decision (`StoreHealth`): one verdict from both probes and `/live`, and the
/// recovery rule. The bfs behaviours it replaces are named where a test guards against one.
@Suite struct StoreHealthTests {
    static let mebibyte: UInt64 = 1 << 20

    func volume(_ id: VolumeID, freeBytes: UInt64 = 1 << 30, error: Bool = false) -> ProbedVolume {
        ProbedVolume(id: id, offset: UInt32.max - UInt32(freeBytes / 8), padding: 8, hasError: error,
                     totalWriteProcessed: 0, totalWriteDelay: 0)
    }

    func health(_ status: StoreNode.Status = .initial, goodChecks: Int = 3) -> StoreHealth {
        StoreHealth(status: status, goodChecksToRecover: goodChecks, fullBelowBytes: Self.mebibyte)
    }

    func info(_ volumes: ProbedVolume...) -> StoreHealth.InfoResult { .answered(StoreInfo(volumes: volumes)) }

    @Test func newStoreIsHealthAfterOneGoodCheck() {
        var h = health()
        #expect(h.record(info: info(volume(1), volume(2))) == .health)
    }

    /// bfs marked an unreachable store Read since 2019 (reference §3.2 step 5).
    @Test func unreachableStoreIsFailNotRead() {
        var h = health(.health)
        #expect(h.record(info: .failed("connection refused")) == .fail)
    }

    @Test func volumeWithLastErrIsFail() {
        var h = health(.health)
        #expect(h.record(info: info(volume(1), volume(2, error: true))) == .fail)
    }

    @Test func everyVolumeNearlyFullIsRead() {
        var h = health()
        #expect(h.record(info: info(volume(1, freeBytes: Self.mebibyte - 8), volume(2, freeBytes: 0))) == .read)
        // One volume with room keeps the store writable.
        #expect(h.record(info: info(volume(1, freeBytes: 0), volume(2, freeBytes: Self.mebibyte))) == .health)
    }

    /// bfs marked a store without volumes Read (its `readOnly` flag stayed true).
    @Test func storeWithoutVolumesIsHealth() {
        var h = health()
        #expect(h.record(info: info()) == .health)
    }

    /// bfs's health loop reset to Health what its needle loop had just set to Fail; here the
    /// failed needle probe stays in force through any number of good `/info` rounds.
    @Test func failedNeedleProbeHoldsThroughInfoRounds() {
        var h = health(.health)
        h.record(info: info(volume(1), volume(2)))
        #expect(h.record(needleOf: 2, failed: true) == .fail)
        for _ in 0..<10 { #expect(h.record(info: info(volume(1), volume(2))) == .fail) }
        #expect(h.goodChecks == 0)
    }

    @Test func leavingFailNeedsConsecutiveGoodChecks() {
        var h = health(.health, goodChecks: 3)
        h.record(info: .failed("timeout"))
        #expect(h.record(info: info(volume(1))) == .fail)
        #expect(h.record(info: info(volume(1))) == .fail)
        // A fault in between starts the count again.
        #expect(h.record(info: .failed("timeout")) == .fail)
        #expect(h.record(info: info(volume(1))) == .fail)
        #expect(h.record(info: info(volume(1))) == .fail)
        #expect(h.record(info: info(volume(1))) == .health)
    }

    @Test func passingNeedleProbeThenGoodChecksRecover() {
        var h = health(.health, goodChecks: 2)
        h.record(info: info(volume(1)))
        h.record(needleOf: 1, failed: true)
        #expect(h.record(needleOf: 1, failed: false) == .fail)
        #expect(h.record(info: info(volume(1))) == .fail)
        #expect(h.record(info: info(volume(1))) == .health)
    }

    /// A needle failure of a volume the store no longer reports does not keep it failed.
    @Test func needleFailureOfAGoneVolumeIsIgnored() {
        var h = health(.health, goodChecks: 1)
        h.record(info: info(volume(1), volume(2)))
        h.record(needleOf: 2, failed: true)
        #expect(h.record(info: info(volume(1))) == .health)
    }

    @Test func lostLiveNodeIsFailAtOnceAndRecoversByChecks() {
        var h = health(.health, goodChecks: 2)
        h.record(info: info(volume(1)))
        #expect(h.record(live: false) == .fail)
        #expect(h.record(info: info(volume(1))) == .fail, "answering /info does not outvote a lost session")
        #expect(h.record(live: true) == .fail)
        #expect(h.record(info: info(volume(1))) == .fail)
        #expect(h.record(info: info(volume(1))) == .health)
    }

    @Test func statusIsKeptUntilTheFirstInfoRound() {
        var h = health(.read)
        #expect(h.record(live: true) == .read)
        #expect(h.record(needleOf: 1, failed: false) == .read)
    }

    @Test func takenOverFailStoreStillNeedsGoodChecks() {
        var h = health(.fail, goodChecks: 2)
        #expect(h.record(info: info(volume(1))) == .fail)
        #expect(h.record(info: info(volume(1))) == .health)
    }

    @Test func readStoreRecoveringFromFailGoesToRead() {
        var h = health(.fail, goodChecks: 1)
        #expect(h.record(info: info(volume(1, freeBytes: 0))) == .read)
    }
}
