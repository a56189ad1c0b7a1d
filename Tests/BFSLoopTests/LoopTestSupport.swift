import Glibc
@testable import BFSLoop

/// State shared between a loop thread and the test thread.
final class Box<T: Sendable>: @unchecked Sendable {
    private var value: T
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    init(_ v: T) {
        value = v
        pthread_mutex_init(lock, nil)
    }
    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }
    func with<R>(_ f: (inout T) -> R) -> R {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return f(&value)
    }
    var get: T { with { $0 } }
}

/// Polls `condition` every 5 ms for up to about `seconds`.
func waitUntil(seconds: Int = 5, _ condition: () -> Bool) -> Bool {
    let deadline = time(nil) + seconds + 1
    while time(nil) < deadline {
        if condition() { return true }
        usleep(5000)
    }
    return condition()
}

/// Runs `body` on `count` threads at once and joins them.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Arg { let i: Int; let body: @Sendable (Int) -> Void; init(_ i: Int, _ b: @escaping @Sendable (Int) -> Void) { self.i = i; body = b } }
    var threads: [pthread_t] = []
    for i in 0..<count {
        var t: pthread_t = 0
        pthread_create(&t, nil, { raw in
            let arg = Unmanaged<Arg>.fromOpaque(raw!).takeRetainedValue()
            arg.body(arg.i)
            return nil
        }, Unmanaged.passRetained(Arg(i, body)).toOpaque())
        threads.append(t)
    }
    for t in threads { pthread_join(t, nil) }
}

/// A blocking loopback connect; returns the fd or -1.
func connectLoopback(port: Int) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 {
        close(fd)
        return -1
    }
    return fd
}
