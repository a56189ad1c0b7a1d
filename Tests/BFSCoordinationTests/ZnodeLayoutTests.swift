import BFSCoordination
import Foundation
import Testing

@Suite struct ZnodeLayoutTests {
    @Test func pathsFollowTheBfsTree() {
        #expect(ZnodeLayout.store(rack: "bfs-1", id: "47E273ED") == "/rack/bfs-1/47E273ED")
        #expect(ZnodeLayout.storeVolume(rack: "bfs-1", id: "47E273ED", vid: 3) == "/rack/bfs-1/47E273ED/3")
        #expect(ZnodeLayout.volume(3) == "/volume/3")
        #expect(ZnodeLayout.volumeReplica(vid: 3, store: "s1") == "/volume/3/s1")
        #expect(ZnodeLayout.groupMember(gid: 2, store: "s1") == "/group/2/s1")
        #expect(ZnodeLayout.pitchforkPrefix == "/pitchfork/")
        #expect(ZnodeLayout.live("s1") == "/live/s1")
    }

    @Test func storeNodeJSONMatchesGoBytes() throws {
        let node = StoreNode(stat: "127.0.0.1:6061", admin: "127.0.0.1:6063", api: "127.0.0.1:6062",
                             id: "47E273ED-CD3A-4D6A-94CE-554BA9B195EB", rack: "bfs-1", status: .health)
        let golden = #"{"stat":"127.0.0.1:6061","admin":"127.0.0.1:6063","api":"127.0.0.1:6062","id":"47E273ED-CD3A-4D6A-94CE-554BA9B195EB","rack":"bfs-1","status":2147483651}"#
        #expect(String(decoding: node.jsonBytes(), as: UTF8.self) == golden)
        #expect(try JSONDecoder().decode(StoreNode.self, from: Data(golden.utf8)) == node)
    }

    @Test func storeNodeStringsEscapeLikeGo() {
        let node = StoreNode(stat: "a\"b\\c", admin: "<&>", api: "tab\tnl\n", id: "\u{1}é\u{2028}", rack: "", status: .initial)
        let golden = #"{"stat":"a\"b\\c","admin":"\u003c\u0026\u003e","api":"tab\tnl\n","id":"\u0001é\u2028","rack":"","status":0}"#
        #expect(String(decoding: node.jsonBytes(), as: UTF8.self) == golden)
    }

    @Test func statusValuesAreBfsIntegers() throws {
        #expect(StoreNode.Status.initial.rawValue == 0)
        #expect(StoreNode.Status.fail.rawValue == 2_147_483_648)
        #expect(StoreNode.Status.read.rawValue == 2_147_483_649)
        #expect(StoreNode.Status.write.rawValue == 2_147_483_650)
        #expect(StoreNode.Status.health.rawValue == 2_147_483_651)
        #expect([StoreNode.Status.read, .health].allSatisfy { $0.canRead })
        #expect(![StoreNode.Status.initial, .fail, .write].contains { $0.canRead })
        #expect([StoreNode.Status.write, .health].allSatisfy { $0.canWrite })
        #expect(![StoreNode.Status.initial, .fail, .read].contains { $0.canWrite })
        // Written by a Go store before pitchfork probed it; unknown fields are ignored.
        let json = #"{"stat":"s","admin":"a","api":"p","id":"x","rack":"r","status":0,"extra":1}"#
        #expect(try JSONDecoder().decode(StoreNode.self, from: Data(json.utf8)).status == .initial)
    }

    @Test func volumeStateJSONMatchesGoBytes() throws {
        let state = VolumeState(totalWriteProcessed: 18_446_744_073_709_551_615, totalWriteDelay: 123_456_789, freeSpace: 4_294_967_295)
        let golden = #"{"total_write_processed":18446744073709551615,"total_write_delay":123456789,"free_space":4294967295}"#
        #expect(String(decoding: state.jsonBytes(), as: UTF8.self) == golden)
        #expect(try JSONDecoder().decode(VolumeState.self, from: Data(golden.utf8)) == state)
    }

    @Test func rackVolumeTextRoundTrips() {
        let volume = RackVolume(blockPath: "/data/v1.blk", indexPath: "/data/v1.idx", vid: 1)
        #expect(String(decoding: volume.bytes, as: UTF8.self) == "/data/v1.blk,/data/v1.idx,1")
        #expect(RackVolume(bytes: volume.bytes) == volume)
        #expect(RackVolume(bytes: Array("/a,/b".utf8)) == nil)
        #expect(RackVolume(bytes: Array("/a,/b,x".utf8)) == nil)
    }
}
