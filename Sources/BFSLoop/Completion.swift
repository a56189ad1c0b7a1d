import Glibc
import Synchronization

/// A one-shot value handed from one thread to a thread that blocks for it.
///
/// Used only off the loop threads (start-up, shutdown, tests): waiting blocks the caller.
package final class Completion<Value: Sendable>: @unchecked Sendable {
    // Heap-allocated: pthread objects must not move, and a class's stored property has no
    // stable address in Swift.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var value: Value?

    /// An unfulfilled completion.
    package init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Stores the value and wakes the waiter; later calls are ignored.
    package func fulfill(_ v: Value) {
        pthread_mutex_lock(mutex)
        if value == nil { value = v }
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }

    /// Blocks until `fulfill` was called, then returns the value.
    package func wait() -> Value {
        pthread_mutex_lock(mutex)
        while value == nil { pthread_cond_wait(cond, mutex) }
        let v = value!
        pthread_mutex_unlock(mutex)
        return v
    }

    /// Blocks up to `milliseconds`; nil on timeout.
    package func wait(milliseconds: Int) -> Value? {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let ns = Int(deadline.tv_nsec) + (milliseconds % 1000) * 1_000_000
        deadline.tv_sec += milliseconds / 1000 + ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        pthread_mutex_lock(mutex)
        while value == nil {
            if pthread_cond_timedwait(cond, mutex, &deadline) == ETIMEDOUT { break }
        }
        let v = value
        pthread_mutex_unlock(mutex)
        return v
    }
}
