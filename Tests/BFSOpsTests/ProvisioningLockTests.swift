import BFSCoordination
import BFSTestSupport
import Dispatch
import Testing
@testable import BFSOps

/// `ProvisioningLock`: provisioning actions of different ops processes (each with its own
/// coordination session on one tree) run one at a time; a waiter gives up with 409 after its
/// patience; the lock is gone after every action, failed ones included.
@Suite struct ProvisioningLockTests {
    private func session(_ tree: EmbeddedTree) throws -> EmbeddedCoordination {
        let queue = DispatchQueue(label: "lock-session")
        return try EmbeddedCoordination(tree: tree, executor: { queue.async(execute: $0) })
    }

    @Test func actionsOfTwoConsolesNeverOverlapAndAWaiterGivesUpAfterItsPatience() async throws {
        let tree = EmbeddedTree()
        let first = ProvisioningLock(coordination: try session(tree), patience: .seconds(30))
        let impatient = ProvisioningLock(coordination: try session(tree), patience: .milliseconds(300))
        let patient = ProvisioningLock(coordination: try session(tree), patience: .seconds(30))
        let observer = try session(tree)
        let events = Locked<[String]>([])

        let holding = Task {
            try await first.run { () async throws(OpsRequestError) in
                events.with { $0.append("first starts") }
                try? await Task.sleep(for: .seconds(1))
                events.with { $0.append("first ends") }
            }
        }
        #expect(try await waitUntil(seconds: 10) { events.get.contains("first starts") })
        #expect(try await observer.exists(ZnodeLayout.opsProvisioningLock) != nil)

        // A console whose patience runs out first is told to come back later.
        await #expect(throws: OpsRequestError.self) {
            try await impatient.run { () async throws(OpsRequestError) in events.with { $0.append("impatient runs") } }
        }
        // One that waits long enough runs after the first, never during it.
        try await patient.run { () async throws(OpsRequestError) in events.with { $0.append("patient runs") } }
        try await holding.value
        #expect(events.get == ["first starts", "first ends", "patient runs"])

        // A failing action releases the lock too.
        await #expect(throws: OpsRequestError.self) {
            try await patient.run { () async throws(OpsRequestError) in throw .bad("no") }
        }
        #expect(try await observer.exists(ZnodeLayout.opsProvisioningLock) == nil)
    }
}
