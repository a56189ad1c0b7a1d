import BFSCoordination
import BFSTestSupport
import Foundation

/// Reading what pitchforks wrote, with our own ZooKeeper client.
struct PitchforkObserver {
    let client: ZooKeeperCoordination

    init(_ zk: ZooKeeperServer) throws {
        client = try ZooKeeperCoordination(hosts: zk.hosts, sessionTimeout: .seconds(4)) { work in work() }
    }

    /// The status in a store's node JSON, nil while the node or its JSON is missing.
    func status(rack: String, id: String) async -> StoreNode.Status? {
        guard let node = try? await client.get(ZnodeLayout.store(rack: rack, id: id)) else { return nil }
        return (try? JSONDecoder().decode(StoreNode.self, from: Data(node.data)))?.status
    }

    /// Waits (bounded) until the store's status is `status`; answers the seconds it took or nil.
    func waitFor(_ status: StoreNode.Status, rack: String, id: String, seconds: Double) async throws -> Double? {
        let start = monotonicSeconds()
        let reached = try await waitUntil(seconds: seconds, pollMilliseconds: 10) { () async throws -> Bool in
            await self.status(rack: rack, id: id) == status
        }
        return reached ? monotonicSeconds() - start : nil
    }

    func close() { client.close(completion: nil) }
}

/// Whether the pitchforks' `/stores` answers split `stores` with exactly one owner each.
func probedExactlyOnce(_ stores: Set<String>, by pitchforks: [PitchforkProcess]) -> Bool {
    var owners: [String: Int] = [:]
    for pitchfork in pitchforks {
        guard let owned = try? pitchfork.owned() else { return false }
        for id in owned.stores.keys { owners[id, default: 0] += 1 }
    }
    return Set(owners.keys) == stores && owners.values.allSatisfy { $0 == 1 }
}
