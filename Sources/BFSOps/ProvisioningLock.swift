import BFSCoordination
import BFSCore
#if canImport(Glibc)
import Glibc
#endif

/// The cluster-wide half of provisioning's one-at-a-time rule (`OpsSerial` is the in-process
/// half): an ephemeral znode, `ZnodeLayout.opsProvisioningLock`, held while an ops process adds
/// free volumes, creates groups or allocates volumes, so two consoles on one cluster never
/// decide on the same picture (one store put in two groups, one free volume spent twice).
///
/// The node's data is a random token of this holding: a create whose answer was lost and is
/// retried finds its own token and knows it holds the lock. Ephemeral, so a console that dies
/// in the middle of an action releases it when its coordination session ends.
struct ProvisioningLock: Sendable {
    let coordination: any Coordination
    /// How long an action waits for another console's action before answering 409.
    let patience: Duration

    /// How often a waiting action tries again.
    static let retryInterval: Duration = .milliseconds(100)

    /// Runs `work` while holding the lock.
    func run<T>(_ work: () async throws(OpsRequestError) -> T) async throws(OpsRequestError) -> T {
        let token = Self.makeToken()
        try await acquire(token)
        let result: Result<T, OpsRequestError>
        do { result = .success(try await work()) } catch { result = .failure(error) }
        await release(token)
        return try result.get()
    }

    private func acquire(_ token: [UInt8]) async throws(OpsRequestError) {
        let deadline = ContinuousClock.now + patience
        do { try await coordination.ensurePath(ZnodeLayout.ops) } catch { throw Self.unavailable(error) }
        while true {
            do {
                _ = try await coordination.create(ZnodeLayout.opsProvisioningLock, data: token, mode: .ephemeral)
                return
            } catch .nodeExists {
                if let holder = try? await coordination.get(ZnodeLayout.opsProvisioningLock), holder.data == token { return }
                guard ContinuousClock.now < deadline else {
                    throw OpsRequestError(status: 409, description: "another ops console is provisioning this cluster; try again once it is done")
                }
                try? await Task.sleep(for: Self.retryInterval)
            } catch {
                throw Self.unavailable(error)
            }
        }
    }

    /// Deletes the node if it is still this holding's (a session lost meanwhile may have let
    /// another console take it). Best effort: a node left behind goes with this session.
    private func release(_ token: [UInt8]) async {
        guard let node = try? await coordination.get(ZnodeLayout.opsProvisioningLock), node.data == token else { return }
        try? await coordination.delete(ZnodeLayout.opsProvisioningLock, version: node.stat.version)
    }

    private static func unavailable(_ error: CoordinationError) -> OpsRequestError {
        OpsRequestError(status: 503, description: "coordination: \(error)")
    }

    /// 16 random bytes as 32 hex digits.
    private static func makeToken() -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: 16)
        raw.withUnsafeMutableBytes { _ = getentropy($0.baseAddress, $0.count) }
        let digits = Array("0123456789abcdef".utf8)
        return raw.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }
    }
}
