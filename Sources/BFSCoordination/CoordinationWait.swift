import Dispatch
import Synchronization

/// Why `waitForCoordination` gave up: coordination did not answer in time, or answered with an
/// error. The description is written for the operator reading a service's startup failure.
public struct CoordinationWaitError: Error, CustomStringConvertible {
    /// What went wrong and while doing what.
    public let description: String
}

/// Runs async coordination work from a service's starting or stopping thread (never a loop
/// thread) and blocks until it finishes or `seconds` pass. While the session is still connecting
/// (`connectionLoss`), the work is retried every 200 ms within the same bound.
public func waitForCoordination<T: Sendable>(_ what: String, seconds: Double,
                                             _ work: @escaping @Sendable () async throws -> T) throws(CoordinationWaitError) -> T {
    let done = DispatchSemaphore(value: 0)
    let outcome = Mutex<Result<T, any Error>?>(nil)
    Task {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var result: Result<T, any Error>
        repeat {
            do { result = .success(try await work()) } catch { result = .failure(error) }
            guard case .failure(let e as CoordinationError) = result, e == .connectionLoss,
                  ContinuousClock.now < deadline else { break }
            try? await Task.sleep(for: .milliseconds(200))
        } while true
        outcome.withLock { $0 = result }
        done.signal()
    }
    guard done.wait(timeout: .now() + seconds + 1) == .success, let result = outcome.withLock({ $0 }) else {
        throw CoordinationWaitError(description: "coordination did not answer within \(Int(seconds)) s while \(what)")
    }
    switch result {
    case .success(let value): return value
    case .failure(let error): throw CoordinationWaitError(description: "coordination failed while \(what): \(error)")
    }
}
