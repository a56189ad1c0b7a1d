import BFSCore
import Foundation
import Synchronization

/// Login sessions of the console, in memory (a restart logs everyone out).
///
/// A session is a random 256-bit id sent as the `bfs_ops_session` cookie (HttpOnly,
/// SameSite=Strict) plus a random CSRF token bound to it, which the UI sends back in the
/// `X-CSRF-Token` header of every mutating call. A session ends `lifetime` after the login, used
/// or not, like the cookie's `Max-Age` (a stolen cookie kept busy does not live forever).
/// Failed logins are limited by a token bucket shared by all clients (`attemptsPerMinute`).
public final class OpsSessions: Sendable {
    /// One live session.
    public struct Session: Sendable {
        /// The CSRF token bound to this session.
        public let csrf: String
        /// Monotonic nanoseconds after which the session is gone.
        var expires: UInt64
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var tokens: Double
        var refilled: UInt64
    }

    private let lifetimeNanos: UInt64
    private let attemptsPerMinute: Int
    private let state: Mutex<State>

    /// Sessions lasting `lifetime` from the login; `attemptsPerMinute` failed logins.
    public init(lifetime: Duration, attemptsPerMinute: Int) {
        lifetimeNanos = UInt64(max(1, lifetime.wholeMilliseconds)) * 1_000_000
        self.attemptsPerMinute = attemptsPerMinute
        state = Mutex(State(tokens: Double(attemptsPerMinute), refilled: monotonicNanos()))
    }

    /// Opens a session; answers its id and CSRF token.
    public func open() -> (id: String, csrf: String) {
        let id = Self.randomToken(), csrf = Self.randomToken()
        let now = monotonicNanos()
        state.withLock { s in
            s.sessions = s.sessions.filter { $0.value.expires > now }
            s.sessions[id] = Session(csrf: csrf, expires: now + lifetimeNanos)
        }
        return (id, csrf)
    }

    /// The live session with this id; nil if unknown or expired.
    public func session(_ id: String) -> Session? {
        let now = monotonicNanos()
        return state.withLock { s -> Session? in
            guard let found = s.sessions.first(where: { constantTimeEqual(Array($0.key.utf8), Array(id.utf8)) }) else { return nil }
            guard found.value.expires > now else {
                s.sessions[found.key] = nil
                return nil
            }
            return found.value
        }
    }

    /// Ends a session.
    public func close(_ id: String) {
        _ = state.withLock { $0.sessions.removeValue(forKey: id) }
    }

    /// Takes a token for a login attempt about to be checked; false when none is left. The
    /// attempt counts from its arrival, so logins sent all at once cannot outrun the limit
    /// while their slow hash checks are still running (and at most `attemptsPerMinute` checks
    /// run at once). A successful login gives its token back (`loginSucceeded`).
    public func takeLoginAttempt() -> Bool {
        state.withLock { s in
            refill(&s)
            guard s.tokens >= 1 else { return false }
            s.tokens -= 1
            return true
        }
    }

    /// Returns the token of an attempt that turned out right: only failed logins are limited.
    public func loginSucceeded() {
        state.withLock { s in
            refill(&s)
            s.tokens = min(Double(attemptsPerMinute), s.tokens + 1)
        }
    }

    private func refill(_ s: inout State) {
        let now = monotonicNanos()
        let elapsedMinutes = Double(now &- s.refilled) / 60e9
        s.tokens = min(Double(attemptsPerMinute), s.tokens + elapsedMinutes * Double(attemptsPerMinute))
        s.refilled = now
    }

    /// 32 random bytes from the system CSPRNG, hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
