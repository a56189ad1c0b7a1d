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

    /// Mutates the value under the lock and wakes the waiters.
    func update<R>(_ body: (inout Value) -> R) -> R {
        pthread_mutex_lock(mutex)
        let r = body(&value)
        pthread_cond_broadcast(cond)
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
