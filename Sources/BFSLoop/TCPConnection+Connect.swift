import CUV
import Glibc

extension TCPConnection {
    /// Opens an outbound connection to `host:port` on `loop`; `completion` runs on the loop.
    ///
    /// `host` may be numeric (IPv4/IPv6) or a name resolved with `uv_getaddrinfo` (libuv's thread
    /// pool). `timeoutMilliseconds` bounds resolution plus the TCP handshake; on expiry the
    /// result is `ETIMEDOUT`. The connection comes back with TCP_NODELAY set and not reading:
    /// call `startReading` and `write` on it. Loop thread only.
    ///
    /// ```swift
    /// TCPConnection.connect(on: loop, host: "127.0.0.1", port: 6062) { result in
    ///     guard case .success(let c) = result else { return }
    ///     try? c.startReading { event in ... }
    ///     c.write(Array("GET /info HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
    /// }
    /// ```
    public static func connect(
        on loop: EventLoop, host: String, port: Int, timeoutMilliseconds: UInt64 = 10_000,
        readBufferSize: Int = 64 * 1024,
        completion: @escaping (Result<TCPConnection, UVError>) -> Void
    ) {
        precondition(loop.inEventLoop, "connect off the loop thread")
        let attempt = ConnectAttempt(loop: loop, readBufferSize: readBufferSize, completion: completion)
        attempt.timer = loop.scheduleTimer(after: timeoutMilliseconds) { [weak attempt] in attempt?.timeOut() }
        if let address = SocketAddress(host: host, port: port) {
            attempt.connect(to: address)
        } else {
            attempt.resolve(host: host, port: port)
        }
    }
}

/// One connect in flight: name resolution, handshake, timeout; reports exactly once.
private final class ConnectAttempt {
    let loop: EventLoop
    let readBufferSize: Int
    var completion: ((Result<TCPConnection, UVError>) -> Void)?
    var timer: LoopTimer?
    var connection: TCPConnection?

    init(loop: EventLoop, readBufferSize: Int, completion: @escaping (Result<TCPConnection, UVError>) -> Void) {
        self.loop = loop
        self.readBufferSize = readBufferSize
        self.completion = completion
    }

    func finish(_ result: Result<TCPConnection, UVError>) {
        timer?.close()
        timer = nil
        guard let completion else { return }
        self.completion = nil
        if case .failure = result { connection?.close() }
        completion(result)
    }

    func timeOut() {
        finish(.failure(UVError(code: -ETIMEDOUT, operation: "connect")))
    }

    func resolve(host: String, port: Int) {
        let req = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(self).toOpaque()
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let rc = uv_getaddrinfo(loop.uvLoop, req, { req, status, info in
            let attempt = Unmanaged<ConnectAttempt>.fromOpaque(req!.pointee.data).takeRetainedValue()
            req!.deallocate()
            defer { uv_freeaddrinfo(info) }
            guard attempt.completion != nil else { return }  // timed out meanwhile
            guard status == 0, let info, let addr = info.pointee.ai_addr else {
                attempt.finish(.failure(UVError(code: status < 0 ? status : -ENOENT, operation: "getaddrinfo")))
                return
            }
            attempt.connect(to: SocketAddress(copying: addr, length: Int(info.pointee.ai_addrlen)))
        }, host, String(port), &hints)
        if rc < 0 {
            Unmanaged<ConnectAttempt>.fromOpaque(req.pointee.data).release()
            req.deallocate()
            finish(.failure(UVError(code: rc, operation: "getaddrinfo")))
        }
    }

    func connect(to address: SocketAddress) {
        let connection = TCPConnection(loop: loop, readBufferSize: readBufferSize)
        self.connection = connection
        let req = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        req.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let rc = address.withSockaddr { sa in
            uv_tcp_connect(req, connection.handle, sa) { req, status in
                let attempt = Unmanaged<ConnectAttempt>.fromOpaque(req!.pointee.data).takeRetainedValue()
                req!.deallocate()
                guard let connection = attempt.connection else { return }
                if status < 0 {
                    attempt.finish(.failure(UVError(code: status, operation: "connect")))
                } else {
                    connection.setNoDelay(true)
                    attempt.finish(.success(connection))
                }
            }
        }
        if rc < 0 {
            Unmanaged<ConnectAttempt>.fromOpaque(req.pointee.data).release()
            req.deallocate()
            finish(.failure(UVError(code: rc, operation: "uv_tcp_connect")))
        }
    }
}
