import Synchronization

/// Runs async work one piece at a time, in arrival order, without blocking a thread while
/// waiting. Provisioning actions go through one: each reads the cluster, decides, then writes,
/// and two interleaved runs would decide on the same picture (two `createGroups` putting one
/// store in two groups, two `allocate`s spending the same free volumes).
final class OpsSerial: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Runs `work` once every earlier piece has finished.
    func run<T>(_ work: () async throws(OpsRequestError) -> T) async throws(OpsRequestError) -> T {
        await acquire()
        defer { release() }
        return try await work()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = state.withLock { s -> Bool in
                guard s.busy else {
                    s.busy = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.waiters.isEmpty else {
                s.busy = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
