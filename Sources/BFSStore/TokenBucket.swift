import Synchronization

/// A non-blocking token bucket (`Allow`-style, as bfs's limiter): a request either takes a token
/// now or is refused. Shared by every loop of a listener, so it is guarded by a Mutex; the
/// critical section is a few arithmetic operations.
public final class TokenBucket: Sendable {
    private struct State {
        var tokens: Double
        var lastNanos: UInt64
    }

    /// Tokens added per second.
    public let rate: Double
    /// Most tokens the bucket holds (requests allowed in one burst).
    public let burst: Double
    private let state: Mutex<State>

    /// A bucket that starts full. `rate` must be positive; a disabled limit is `nil`, not a bucket.
    public init(rate: Double, burst: Int, nowNanos: UInt64) {
        self.rate = rate
        self.burst = Double(max(burst, 1))
        self.state = Mutex(State(tokens: Double(max(burst, 1)), lastNanos: nowNanos))
    }

    /// Takes one token if available at time `nowNanos` (monotonic).
    public func allow(nowNanos: UInt64) -> Bool {
        state.withLock { s in
            if nowNanos > s.lastNanos {
                s.tokens = min(burst, s.tokens + Double(nowNanos - s.lastNanos) * rate / 1e9)
                s.lastNanos = nowNanos
            }
            guard s.tokens >= 1 else { return false }
            s.tokens -= 1
            return true
        }
    }
}
