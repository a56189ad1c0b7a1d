import Testing
@testable import BFSStore

/// `/info` counters: what loops count in their shards and what other threads count in the
/// shared counters add up in one snapshot.
@Suite struct RequestStatsShardTests {
    @Test func snapshotSumsShardsAndSharedCounters() {
        let stats = RequestStats()
        let a = stats.shard(), b = stats.shard()
        a.didGet(bytes: 100, nanos: 10)
        b.didGet(bytes: 50, nanos: 5)
        b.didWrite(count: 3, bytes: 7, nanos: 20)
        stats.didWrite(count: 1, bytes: 1, nanos: 1)
        stats.didDelete(nanos: 4)
        let s = stats.snapshot(previous: nil, seconds: 0)
        #expect(s.totalGetProcessed == 2 && s.totalReadBytes == 150 && s.totalGetDelay == 15)
        #expect(s.totalWriteProcessed == 4 && s.totalWriteBytes == 8 && s.totalWriteDelay == 21)
        #expect(s.totalDelProcessed == 1)
        #expect(s.totalCommandsProcessed == 5)
        #expect(s.totalTransferedBytes == 158)
        #expect(s.totalDelay == 10 + 5 + 20 + 1 + 4)
    }
}
