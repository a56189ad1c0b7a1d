import Synchronization

/// A value a loop thread (or any other) and the test thread both touch, behind a lock.
public final class Locked<T: Sendable>: Sendable {
    private let value: Mutex<T>

    /// A box holding `initial`.
    public init(_ initial: T) { value = Mutex(initial) }

    /// Runs `body` on the value under the lock.
    public func with<R>(_ body: (inout T) -> R) -> R {
        value.withLock { body(&$0) }
    }

    /// A copy of the value.
    public var get: T { with { $0 } }
}
