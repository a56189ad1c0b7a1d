import BFSCore
import Foundation
import Synchronization

/// Login sessions of the console, in memory (a restart logs everyone out).
///
/// A session is a random 256-bit id sent as the `bfs_ops_session` cookie (HttpOnly,
/// SameSite=Strict) plus a random CSRF token bound to it, which the UI sends back in the
/// `X-CSRF-Token` header of every mutating call. A session ends `lifetime` after the login, used
/// or not, like the cookie's `Max-Age` (a stolen cookie kept busy does not live forever).
/// Failed logins are limited per client address (`attemptsPerMinute`), so a guesser on the
/// network cannot lock others out, and for all clients together (ten times that), which bounds
/// the password-hash work many addresses can cause.
public final class OpsSessions: Sendable {
    /// One live session.
    public struct Session: Sendable {
        /// The CSRF token bound to this session.
        public let csrf: String
        /// Monotonic nanoseconds after which the session is gone.
        var expires: UInt64
    }

    /// A token bucket of login attempts.
    private struct Bucket {
        var tokens: Double
        var refilled: UInt64
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var all: Bucket
        var clients: [String: Bucket] = [:]
    }

    /// Client addresses whose attempts are remembered; past it, addresses whose bucket is full
    /// again are forgotten first.
    static let rememberedClients = 4096
    /// The limit for all clients together, in multiples of the per-client limit.
    static let allClientsFactor = 10

    private let lifetimeNanos: UInt64
    private let attemptsPerMinute: Int
    private let state: Mutex<State>

    /// Sessions lasting `lifetime` from the login; `attemptsPerMinute` failed logins.
    public init(lifetime: Duration, attemptsPerMinute: Int) {
        lifetimeNanos = UInt64(max(1, lifetime.wholeMilliseconds)) * 1_000_000
        self.attemptsPerMinute = attemptsPerMinute
        state = Mutex(State(all: Bucket(tokens: Double(attemptsPerMinute * Self.allClientsFactor), refilled: monotonicNanos())))
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

    /// Takes a token for a login attempt from `client` (its address, without the port) about
    /// to be checked; false when that client's or everyone's tokens are used up. The attempt
    /// counts from its arrival, so logins sent all at once cannot outrun the limit while their
    /// slow hash checks are still running. A successful login gives its tokens back
    /// (`loginSucceeded`).
    public func takeLoginAttempt(from client: String = "") -> Bool {
        let now = monotonicNanos()
        let perClient = Double(attemptsPerMinute), all = perClient * Double(Self.allClientsFactor)
        return state.withLock { s in
            Self.refill(&s.all, capacity: all, now: now)
            var mine = s.clients[client] ?? Bucket(tokens: perClient, refilled: now)
            Self.refill(&mine, capacity: perClient, now: now)
            guard mine.tokens >= 1, s.all.tokens >= 1 else { return false }
            mine.tokens -= 1
            s.all.tokens -= 1
            if s.clients[client] == nil && s.clients.count >= Self.rememberedClients { forgetRested(&s, capacity: perClient, now: now) }
            s.clients[client] = mine
            return true
        }
    }

    /// Returns the tokens of an attempt from `client` that turned out right: only failed logins
    /// are limited.
    public func loginSucceeded(from client: String = "") {
        let now = monotonicNanos()
        let perClient = Double(attemptsPerMinute), all = perClient * Double(Self.allClientsFactor)
        state.withLock { s in
            Self.refill(&s.all, capacity: all, now: now)
            s.all.tokens = min(all, s.all.tokens + 1)
            guard var mine = s.clients[client] else { return }
            Self.refill(&mine, capacity: perClient, now: now)
            mine.tokens = min(perClient, mine.tokens + 1)
            s.clients[client] = mine
        }
    }

    private static func refill(_ bucket: inout Bucket, capacity: Double, now: UInt64) {
        let elapsedMinutes = Double(now &- bucket.refilled) / 60e9
        bucket.tokens = min(capacity, bucket.tokens + elapsedMinutes * capacity)
        bucket.refilled = now
    }

    /// Forgets clients whose bucket has filled up again (they lose nothing); if every one is
    /// still limited, forgets the longest-idle half (the all-clients limit still holds).
    private func forgetRested(_ s: inout State, capacity: Double, now: UInt64) {
        s.clients = s.clients.filter { _, bucket in
            var b = bucket
            Self.refill(&b, capacity: capacity, now: now)
            return b.tokens < capacity
        }
        if s.clients.count >= Self.rememberedClients {
            let oldest = s.clients.sorted { $0.value.refilled < $1.value.refilled }.prefix(s.clients.count / 2)
            for (client, _) in oldest { s.clients[client] = nil }
        }
    }

    /// 32 random bytes from the system CSPRNG, hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
