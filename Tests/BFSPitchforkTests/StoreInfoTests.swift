import BFSCoordination
import Testing
@testable import BFSPitchfork

/// Reading `/info` (reference §1.9) as Go bfs's store and ours write it.
@Suite struct StoreInfoTests {
    /// A Go bfs `/info` answer, trimmed to two volumes (the second failed with an OS error
    /// object) and one free volume; fields a pitchfork ignores are kept to show they do no harm.
    static let goInfo = """
        {"ret":1,"server":{"ver":"0.1","git_sha1":"42dff06","start_time":"2016-01-01T00:00:00+08:00",\
        "os":"","process_id":0,"total_connections_received":0,"connected_clients":0,"blocked_clients":0,\
        "stats":{"total_commands_processed":9,"TotalFlushProcessed":0}},\
        "volumes":[{"id":1,"stats":{"total_write_processed":12,"total_write_delay":3400,"TotalFlushProcessed":0},\
        "block":{"file":"/d/1_0","offset":1048576,"size":8388608,"last_err":null,"ver":1,"padding":8},\
        "index":{"file":"/d/1_0.idx","last_err":null,"offset":0},"compact":false,"compact_offset":0,"compact_time":0},\
        {"id":2,"stats":{"total_write_processed":0,"total_write_delay":0},\
        "block":{"file":"/d/2_0","offset":1,"size":8,"last_err":{"Op":"write","Path":"/d/2_0","Err":5},"ver":1,"padding":8},\
        "index":{"file":"/d/2_0.idx","last_err":null,"offset":0},"compact":false,"compact_offset":0,"compact_time":0}],\
        "free_volumes":[{"id":3,"stats":{},"block":{"file":"/d/3","offset":1,"size":8,"last_err":3005,"ver":1,"padding":8},\
        "index":{"file":"/d/3.idx","last_err":null,"offset":0},"compact":false,"compact_offset":0,"compact_time":0}]}
        """

    @Test func goInfoParses() throws {
        let info = try StoreInfo.parse(Array(Self.goInfo.utf8))
        #expect(info.volumes.map(\.id) == [1, 2])
        #expect(info.volumes[0] == ProbedVolume(id: 1, offset: 1_048_576, padding: 8, hasError: false,
                                                totalWriteProcessed: 12, totalWriteDelay: 3400))
        #expect(info.volumes[1].hasError)
    }

    /// The VolumeState a bfs directory reads: free_space = 4294967295 - offset (units).
    @Test func volumeStateIsTheBfsOne() throws {
        let info = try StoreInfo.parse(Array(Self.goInfo.utf8))
        let state = info.volumes[0].state
        #expect(state == VolumeState(totalWriteProcessed: 12, totalWriteDelay: 3400, freeSpace: 4_294_967_295 - 1_048_576))
        #expect(String(decoding: state.jsonBytes(), as: UTF8.self)
            == #"{"total_write_processed":12,"total_write_delay":3400,"free_space":4293918719}"#)
        #expect(info.volumes[0].freeBytes == UInt64(4_293_918_719) * 8)
    }

    @Test func numericLastErrIsAnError() throws {
        let json = #"{"ret":1,"volumes":[{"id":4,"block":{"offset":1,"padding":8,"last_err":5000}}]}"#
        #expect(try StoreInfo.parse(Array(json.utf8)).volumes[0].hasError)
    }

    @Test func notInfoIsRejected() {
        #expect(throws: PitchforkError.self) { try StoreInfo.parse(Array("<html>".utf8)) }
        #expect(throws: PitchforkError.malformedInfo("ret 65535")) { try StoreInfo.parse(Array(#"{"ret":65535}"#.utf8)) }
    }
}
