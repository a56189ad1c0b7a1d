import BFSCore
import Testing
@testable import BFSStore

/// The loop's cached volume table (`LoopVolumeCache`): a volume added after the loop cached the
/// table is found at the next request, and requests count into that volume's `/info` counters.
@Suite struct LoopVolumeCacheTests {
    @Test func volumeAddedAfterCachingIsServedAndCounted() throws {
        try withStoreHarness(vids: [1]) { h in
            let c = try h.client()
            let data: [UInt8] = Array(repeating: 7, count: 100)
            #expect(try c.upload(vid: 1, key: 1, cookie: 3, data: data).body == Array(#"{"ret":1}"#.utf8))
            // Cached now without volume 2.
            #expect(try c.get(vid: 2, key: 1, cookie: 3).status == 404)
            try h.volumes.addFreeVolumes(count: 1, blockDirectory: h.dir, indexDirectory: h.dir)
            try h.volumes.addVolume(2)
            #expect(try c.upload(vid: 2, key: 5, cookie: 3, data: data).body == Array(#"{"ret":1}"#.utf8))
            let r = try c.get(vid: 2, key: 5, cookie: 3)
            #expect(r.status == 200 && r.body == data)
            let two = h.context.stats(of: 2).snapshot(previous: nil, seconds: 0)
            #expect(two.totalWriteProcessed == 1 && two.totalGetProcessed == 1)
            let one = h.context.stats(of: 1).snapshot(previous: nil, seconds: 0)
            #expect(one.totalWriteProcessed == 1 && one.totalGetProcessed == 0)
        }
    }
}
