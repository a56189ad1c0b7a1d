import Foundation
import Testing
@testable import BFSStore

@Suite struct InfoFormatTests {
    /// The fields bfs's pitchfork and ops read must keep their exact names and shapes.
    @Test func volumeJSONHasTheBfsFieldNames() throws {
        var stats = StatsSnapshot()
        stats.totalWriteProcessed = 3
        stats.totalWriteDelay = 900
        let v = VolumeInfo(
            id: 2, stats: stats,
            block: .init(file: "/d/2_0", offset: 5, size: 40, lastErr: nil),
            index: .init(file: "/d/2_0.idx", lastErr: nil, offset: 16),
            compact: false, compactOffset: 0, compactTime: 0, needles: 1, deleted: 0, damaged: 0,
            compactProgress: nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(v), as: UTF8.self)
        #expect(json.contains(#""block":{"file":"\/d\/2_0","last_err":null,"offset":5,"padding":8,"size":40,"ver":1}"#))
        #expect(json.contains(#""index":{"file":"\/d\/2_0.idx","last_err":null,"offset":16}"#))
        #expect(json.contains(#""total_write_processed":3"#))
        #expect(json.contains(#""total_write_delay":900"#))
        #expect(json.contains(#""TotalFlushProcessed":0"#))
        #expect(json.contains(#""compact":false"#))
        #expect(json.contains(#""id":2"#))
    }

    @Test func ratesAreDerivedFromTwoSnapshots() {
        let s = RequestStats()
        let first = s.snapshot(previous: nil, seconds: 0)
        s.didWrite(count: 10, bytes: 4096 * 10, nanos: 5000)
        s.didGet(bytes: 100, nanos: 10)
        let second = s.snapshot(previous: first, seconds: 2)
        #expect(second.totalWriteProcessed == 10)
        #expect(second.writeTPS == 5)
        #expect(second.writeFlow == 4096 * 5)
        #expect(second.totalGetProcessed == 1)
        #expect(second.writeDelay == 5000)
        #expect(second.totalCommandsProcessed == 2)
    }
}
