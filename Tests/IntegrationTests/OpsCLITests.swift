import BFSTestSupport
import Foundation
import Testing

/// `bfs cluster ...` against a real cluster through `bfs ops`: the same actions as the API,
/// per-store lines, progress bars for compaction, and a non-zero exit on any failure.
@Suite(.serialized) struct OpsCLITests {
    @Test func clusterCommandsDriveOps() async throws {
        let cluster = try await OpsCluster.start(label: "ops-cli")
        defer { cluster.stop() }
        let address = "127.0.0.1:\(cluster.ops.port)"
        let env = ["BFS_CLUSTER_TOKEN": OpsCluster.token]
        func bfs(_ args: String...) throws -> (status: Int32, output: String) {
            try runBFS(["cluster"] + args + ["--ops", address], environment: env)
        }

        #expect(try runBFS(["cluster", "status", "--ops", address, "--token", "wrong"]).status != 0)
        let ready = try waitUntil(seconds: 30, pollMilliseconds: 200) {
            let status = try bfs("status")
            return status.status == 0 && status.output.components(separatedBy: " live ").count == 5
        }
        #expect(ready, "\((try? bfs("status").output) ?? "")")

        let partial = try bfs("add-free-volumes", "--store", "s-2", "--count", "1", "--dir", cluster.store("s-1").dataDir)
        #expect(partial.status != 0 && partial.output.contains("FAILED  s-2"), "\(partial.output)")
        let free = try bfs("add-free-volumes", "--count", "3")
        #expect(free.status == 0 && free.output.components(separatedBy: "ok      s-").count == 5, "\(free.output)")

        let groups = try bfs("create-groups", "--copies", "2")
        #expect(groups.status == 0 && groups.output.contains("group 1: ") && groups.output.contains("group 2: "), "\(groups.output)")
        #expect(groups.output.contains("(racks r1,r2)") || groups.output.contains("(racks r2,r1)"), "\(groups.output)")
        let allocated = try bfs("allocate", "--group", "1", "--count", "1")
        #expect(allocated.status == 0 && allocated.output.contains("volume 1 ok"), "\(allocated.output)")

        let volumes = try await cluster.volumesInZooKeeper()
        let replicas = try #require(volumes[1])
        for i in 0..<50 {
            for id in replicas {
                #expect(try cluster.store(id).upload(vid: 1, key: Int64(i + 1), cookie: 3, data: payload(seed: UInt64(i), size: 50_000)).ret == 1)
            }
        }
        let compact = try bfs("compact", "--vid", "1")
        #expect(compact.status == 0, "\(compact.output)")
        #expect(compact.output.contains("[##############################] 100 %  done"), "\(compact.output)")
        let missing = try bfs("compact", "--vid", "99")
        #expect(missing.status != 0 && missing.output.contains("no replicas"), "\(missing.output)")
        let status = try bfs("status")
        #expect(status.output.contains("group 1: ") && status.output.contains(" volumes 1"), "\(status.output)")
    }
}
