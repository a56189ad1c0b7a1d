import Foundation
import Synchronization
import Testing

/// Collects values handed over by completions; `wait` polls (bounded) until enough arrived.
final class Recorder<T: Sendable>: Sendable {
    private let items = Mutex<[T]>([])

    func record(_ item: T) { items.withLock { $0.append(item) } }

    /// Waits until `predicate` holds for the recorded items (fails the test after `timeout`).
    func wait(timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
              until predicate: ([T]) -> Bool) async throws -> [T] {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let current = items.withLock { $0 }
            if predicate(current) { return current }
            try await Task.sleep(for: .milliseconds(5))
        }
        let current = items.withLock { $0 }
        Issue.record("condition not met; recorded \(current.count) items", sourceLocation: sourceLocation)
        return current
    }
}

/// Holds a store thread inside a job until the test opens it (bounded: 30 s).
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func wait() { _ = semaphore.wait(timeout: .now() + 30) }
    func open() { semaphore.signal() }
}
