import CUV
import Glibc

/// A listening TCP socket on one loop; hands each accepted connection to a callback.
///
/// To serve one port from N loops, bind the first listener with port 0 (or a fixed port) and
/// `reusePort: true`, then bind a listener on each other loop to the port it got: the kernel
/// spreads incoming connections over the sockets (SO_REUSEPORT). libuv 1.44 has no
/// `UV_TCP_REUSEPORT`, so the socket is created early with `uv_tcp_init_ex` and the option set
/// before `bind`. Loop thread only.
public final class TCPListener: LoopResource {
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private var onAccept: ((TCPConnection) -> Void)?
    private let readBufferSize: Int
    private var closing = false
    /// The loop accepted connections live on.
    public let loop: EventLoop
    /// The bound port (the kernel's choice when 0 was asked for).
    public private(set) var port: Int = 0

    /// Binds `host:port` (numeric host) and starts listening. Loop thread only.
    public init(
        on loop: EventLoop, host: String, port: Int, reusePort: Bool = false, backlog: Int32 = 1024,
        readBufferSize: Int = 64 * 1024, onAccept: @escaping (TCPConnection) -> Void
    ) throws(UVError) {
        precondition(loop.inEventLoop, "TCPListener created off the loop thread")
        guard let address = SocketAddress(host: host, port: port) else {
            throw UVError(code: -EINVAL, operation: "listen address \(host):\(port)")
        }
        self.loop = loop
        self.onAccept = onAccept
        self.readBufferSize = readBufferSize
        handle = .allocate(capacity: 1)
        // init_ex creates the socket now, so SO_REUSEPORT can be set before bind.
        let rc = uv_tcp_init_ex(loop.uvLoop, handle, UInt32(address.family))
        if rc < 0 {
            handle.deallocate()
            throw UVError(code: rc, operation: "uv_tcp_init_ex")
        }
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        loop.register(self)
        do throws(UVError) {
            if reusePort {
                var fd: uv_os_fd_t = -1
                uv_fileno(asHandle(handle), &fd)
                var one: Int32 = 1
                if setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                    throw UVError(code: -errno, operation: "setsockopt(SO_REUSEPORT)")
                }
            }
            try uvCheck(address.withSockaddr { uv_tcp_bind(handle, $0, 0) }, "uv_tcp_bind \(host):\(port)")
            try uvCheck(uv_listen(asStream(handle), backlog) { server, status in
                guard status >= 0 else { return }
                owner(server!.pointee.data, as: TCPListener.self).acceptOne()
            }, "uv_listen \(host):\(port)")
            var storage = sockaddr_storage()
            var len = Int32(MemoryLayout<sockaddr_storage>.size)
            try uvCheck(withUnsafeMutableBytes(of: &storage) {
                uv_tcp_getsockname(handle, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &len)
            }, "uv_tcp_getsockname")
            self.port = SocketAddress.port(of: storage)
        } catch {
            close()
            throw error
        }
    }

    /// Fails with `EADDRINUSE` if something already listens on `host:port`.
    ///
    /// SO_REUSEPORT lets any socket of the same user join a port, so a second server process
    /// started by mistake on a taken port would silently share its traffic. Binding a probe
    /// socket without SO_REUSEPORT first turns that into the usual error. (SO_REUSEADDR keeps
    /// connections in TIME_WAIT from failing the probe.) Any thread.
    public static func ensureNobodyListens(host: String, port: Int) throws(UVError) {
        guard port != 0 else { return }
        guard let address = SocketAddress(host: host, port: port) else {
            throw UVError(code: -EINVAL, operation: "listen address \(host):\(port)")
        }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw UVError(code: -errno, operation: "socket") }
        defer { Glibc.close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let length = socklen_t(address.family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        if address.withSockaddr({ bind(fd, $0, length) }) != 0 {
            throw UVError(code: -errno, operation: "bind \(host):\(port)")
        }
    }

    private func acceptOne() {
        let connection = TCPConnection(loop: loop, readBufferSize: readBufferSize)
        guard uv_accept(asStream(handle), connection.stream) == 0 else {
            connection.close()
            return
        }
        connection.setNoDelay(true)
        onAccept?(connection)
    }

    /// Stops listening and closes the socket (idempotent); accepted connections stay open.
    public func close() {
        guard !closing else { return }
        closing = true
        onAccept = nil
        uv_close(asHandle(handle)) { h in
            let listener = owner(h!.pointee.data, as: TCPListener.self)
            listener.loop.unregister(listener)
            h!.deallocate()
        }
    }

    /// Closes the listener when the loop shuts down.
    public func closeForShutdown() { close() }
}
