import BFSCoordination
import Synchronization

/// Node reads kept exactly as long as a one-shot watch guards them.
///
/// Invariant: an entry is cached only while the watch armed by the read that produced it is
/// pending, so a cached value is never stale and a rebuild re-reads only what changed. The
/// same invariant keeps at most one watch per path and kind armed: a path is read (and a watch
/// armed) only when it has no entry, so watches never pile up across rebuilds.
///
/// A watch that fires between its read returning and the value being stored leaves the entry
/// absent (the token no longer matches); the fire has already asked for another rebuild.
final class WatchedCache: Sendable {
    /// What kind of read an entry caches; one watch per kind and path.
    enum Kind: Sendable, Hashable {
        case data, children, exists
    }

    /// A cached read.
    enum Value: Sendable, Equatable {
        case data([UInt8])
        case children([String])
        /// The node was missing; an exists watch waits for its creation.
        case missing
    }

    private struct Key: Hashable {
        var kind: Kind
        var path: String
    }

    private enum Slot {
        case pending(token: UInt64)
        case cached(token: UInt64, Value)
    }

    private struct State {
        var slots: [Key: Slot] = [:]
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())
    private let didFire: @Sendable (WatchEvent) -> Void

    /// Makes a cache that calls `didFire` (through the coordination executor) whenever one of
    /// its watches fires, after dropping the entry it guarded.
    init(didFire: @escaping @Sendable (WatchEvent) -> Void) {
        self.didFire = didFire
    }

    /// The cached value, or nil when the path must be read (with the handler `arm` returns).
    func value(_ kind: Kind, _ path: String) -> Value? {
        state.withLock { state in
            if case .cached(_, let value) = state.slots[Key(kind: kind, path: path)] { return value }
            return nil
        }
    }

    /// Marks a read as in flight and returns its token and the watch handler to pass to it.
    func arm(_ kind: Kind, _ path: String) -> (token: UInt64, handler: WatchHandler) {
        let key = Key(kind: kind, path: path)
        let token = state.withLock { state in
            state.nextToken += 1
            state.slots[key] = .pending(token: state.nextToken)
            return state.nextToken
        }
        let handler: WatchHandler = { [weak self] event in
            guard let self else { return }
            self.state.withLock { state in
                switch state.slots[key] {
                case .pending(let armed) where armed == token, .cached(let armed, _) where armed == token:
                    state.slots[key] = nil
                default:
                    break
                }
            }
            self.didFire(event)
        }
        return (token, handler)
    }

    /// Stores the result of the read armed with `token`, unless its watch already fired.
    func store(_ kind: Kind, _ path: String, token: UInt64, _ value: Value) {
        state.withLock { state in
            let key = Key(kind: kind, path: path)
            if case .pending(let armed) = state.slots[key], armed == token {
                state.slots[key] = .cached(token: token, value)
            }
        }
    }

    /// Forgets a read whose call failed (no watch was armed by it).
    func disarm(_ kind: Kind, _ path: String, token: UInt64) {
        state.withLock { state in
            let key = Key(kind: kind, path: path)
            if case .pending(let armed) = state.slots[key], armed == token { state.slots[key] = nil }
        }
    }

    /// Drops everything: after a session expiry every watch is gone.
    func removeAll() {
        state.withLock { $0.slots.removeAll() }
    }
}
