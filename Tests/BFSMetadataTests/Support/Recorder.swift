import BFSTestSupport
import Foundation
import Synchronization
import Testing

/// Collects values handed over by completions; `wait` polls (bounded) until enough arrived.
final class Recorder<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])

    func record(_ item: T) { items.withLock { $0.append(item) } }

    /// Waits (bounded, `waitUntil`) until `predicate` holds for the recorded items; records an
    /// issue and returns what arrived if it never does.
    func wait(seconds: Double = 30, sourceLocation: SourceLocation = #_sourceLocation,
              until predicate: ([T]) -> Bool) async throws -> [T] {
        let held = try await waitUntil(seconds: seconds) { predicate(items.withLock { $0 }) }
        let current = items.withLock { $0 }
        if !held { Issue.record("condition not met; recorded \(current.count) items", sourceLocation: sourceLocation) }
        return current
    }
}

/// Holds a store thread inside a job until the test opens it (bounded: 30 s).
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let reached = Mutex(false)

    /// Whether a thread arrived at the gate.
    var entered: Bool { reached.withLock { $0 } }

    func wait() {
        reached.withLock { $0 = true }
        _ = semaphore.wait(timeout: .now() + 30)
    }

    func open() { semaphore.signal() }
}
