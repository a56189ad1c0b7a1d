import Glibc

/// A loopback TCP port held for a server that must be configured with its port before it starts
/// (a child process, ZooKeeper, a store restarted on the same address).
///
/// Binding port 0 and closing leaves a window in which the kernel hands the port to someone
/// else. Instead the reservation keeps a socket bound with SO_REUSEADDR but never listening:
/// the kernel's port-0 allocation skips the port while it is held, and a server that also sets
/// SO_REUSEADDR (libuv and ZooKeeper do) may still bind and listen on it, because Linux only
/// refuses such a shared bind when the other socket listens. Release it at the end of the test.
public final class PortReservation: @unchecked Sendable {
    /// The reserved port on 127.0.0.1.
    public let port: Int
    private var fd: Int32

    /// Reserves a port the kernel picks.
    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestHTTPClient.Failure.system("socket", errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            let e = errno
            close(fd)
            throw TestHTTPClient.Failure.system("bind", e)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { release() }

    /// Gives the port back (idempotent).
    public func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }
}
