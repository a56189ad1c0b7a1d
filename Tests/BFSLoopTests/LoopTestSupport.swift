import BFSTestSupport
import Glibc
@testable import BFSLoop

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
