import BFSCoordination
import BFSTestSupport
import Foundation
import Glibc
import Testing

/// Real `bfs store` and `bfs pitchfork` processes on a real ZooKeeper: the division of stores
/// among pitchforks (DESIGN.md §6, reference §3.1).
@Suite(.serialized) struct PitchforkMembershipTests {
    @Test func everyStoreIsProbedOnceThroughCrashesAndSurplusPitchforks() async throws {
        let zk = try await ZooKeeperServer.start()
        defer { zk.stop() }
        let dir = TempDir()
        defer { dir.remove() }
        let observer = try PitchforkObserver(zk)
        defer { observer.close() }
        let stores = try (1...3).map { try StoreProcess(dir: dir, id: "s-\($0)", rack: "r1", zookeeper: zk.hosts) }
        for (index, store) in stores.enumerated() {
            try store.start()
            try store.provision(vid: Int32(index + 1))
        }
        let ids = Set(stores.map(\.id))
        let sessionTimeout = 3.0
        var pitchforks = try (1...2).map {
            try PitchforkProcess(dir: dir, name: "p-\($0)", zookeeper: zk.hosts, sessionTimeout: "\(Int(sessionTimeout))s")
        }
        for pitchfork in pitchforks { try pitchfork.start() }

        // 3 stores, 2 pitchforks: one owner each, and every store reaches Health.
        #expect(try await waitUntil(seconds: 15) { () async throws -> Bool in probedExactlyOnce(ids, by: pitchforks) })
        #expect(try pitchforks.allSatisfy { try !$0.owned().stores.isEmpty }, "both pitchforks work")
        for store in stores {
            #expect(try await observer.waitFor(.health, rack: "r1", id: store.id, seconds: 15) != nil, "\(store.id) never Health")
        }

        // kill -9 one pitchfork: the other takes its stores over within 2 x the session timeout.
        let victim = pitchforks.removeFirst()
        let killed = monotonicSeconds()
        victim.crash()
        let tookOver = try await waitUntil(seconds: 2 * sessionTimeout, pollMilliseconds: 20) { () async throws -> Bool in
            probedExactlyOnce(ids, by: pitchforks)
        }
        print("pitchfork takeover after kill -9: \(String(format: "%.2f", monotonicSeconds() - killed)) s (session timeout \(sessionTimeout) s)")
        #expect(tookOver, "survivor owns \(String(describing: try? pitchforks[0].owned().stores.keys.sorted()))")

        // 5 pitchforks for 3 stores: every store is still probed, by exactly one of them.
        let more = try (3...6).map { try PitchforkProcess(dir: dir, name: "p-\($0)", zookeeper: zk.hosts) }
        for pitchfork in more { try pitchfork.start() }
        pitchforks += more
        #expect(pitchforks.count == 5)
        #expect(try await waitUntil(seconds: 15) { () async throws -> Bool in
            probedExactlyOnce(ids, by: pitchforks) && pitchforks.filter({ (try? $0.owned().stores.isEmpty) == false }).count == 3
        })
        // And they go on probing: a store killed now is seen by whichever pitchfork owns it.
        stores[1].crash()
        #expect(try await observer.waitFor(.fail, rack: "r1", id: stores[1].id, seconds: 10) != nil)

        // SIGTERM leaves cleanly: the node goes at once, its stores move without a session timeout.
        let leaving = try #require(pitchforks.first { (try? $0.owned().stores.isEmpty) == false })
        #expect(leaving.terminate() == 0, "log:\n\(leaving.log.suffix(2000))")
        let remaining = pitchforks.filter { $0 !== leaving }
        // Well under the session timeout: an expiry would take at least that long.
        #expect(try await waitUntil(seconds: sessionTimeout * 2 / 3, pollMilliseconds: 20) { () async throws -> Bool in
            probedExactlyOnce(ids, by: remaining)
        })
    }
}
