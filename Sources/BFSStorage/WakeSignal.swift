#if canImport(Glibc)
import Glibc
#endif

/// A mutex-protected value with a condition variable: the flusher sleeps on it until work arrives.
/// (`Synchronization.Mutex` has no condition variable.)
final class WakeSignal<Value>: @unchecked Sendable {
    // `value` is only touched with `mutex` held.
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Whom an update wakes.
    enum Wake {
        case none, one, all
    }

    /// Mutates the value under the lock and wakes `wake` waiters (one by default: new work needs
    /// one flusher lane, waking them all would only cost context switches).
    func update<R>(wake: Wake = .one, _ body: (inout Value) -> R) -> R {
        pthread_mutex_lock(mutex)
        let r = body(&value)
        switch wake {
        case .none: break
        case .one: pthread_cond_signal(cond)
        case .all: pthread_cond_broadcast(cond)
        }
        pthread_mutex_unlock(mutex)
        return r
    }

    /// Waits until `ready` holds, then mutates the value under the lock.
    func wait<R>(until ready: (Value) -> Bool, _ body: (inout Value) -> R) -> R {
        pthread_mutex_lock(mutex)
        while !ready(value) { pthread_cond_wait(cond, mutex) }
        let r = body(&value)
        pthread_mutex_unlock(mutex)
        return r
    }
}
