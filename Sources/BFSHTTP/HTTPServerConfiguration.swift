/// Where an HTTP server listens and the limits and timeouts it enforces.
public struct HTTPServerConfiguration: Sendable {
    /// Numeric address to bind ("127.0.0.1", "0.0.0.0", "::").
    public var host = "127.0.0.1"
    /// Port to bind; 0 lets the kernel choose (see `HTTPServer.start`'s return value).
    public var port = 0
    /// How many loops of the group accept connections; nil means all of them.
    public var loopCount: Int? = nil
    /// Request line plus headers, in bytes; more is answered with 431.
    public var maxHeaderBytes = 16 * 1024
    /// Request body bytes; a larger Content-Length or chunked body is answered with 413.
    public var maxBodyBytes = 64 * 1024 * 1024
    /// How long a kept-alive connection may sit between requests (ms); then it is closed.
    public var idleTimeoutMilliseconds: UInt64 = 60_000
    /// How long a request head may take from its first byte (ms); bounds slowloris clients.
    /// Expiry is answered with 408.
    public var headerTimeoutMilliseconds: UInt64 = 10_000
    /// The longest pause between two pieces of a request body (ms); expiry is answered with 408.
    public var bodyTimeoutMilliseconds: UInt64 = 30_000
    /// The longest time a response may wait on a client that does not read (ms).
    public var sendTimeoutMilliseconds: UInt64 = 60_000
    /// After an error answer, how long unread request bytes are drained before closing (ms), so
    /// the close does not turn into a reset that destroys the answer in flight.
    public var lingerMilliseconds: UInt64 = 2_000
    /// `stop()` waits this long for in-flight requests before closing connections (ms).
    public var drainTimeoutMilliseconds: UInt64 = 10_000
    /// Bytes read per `read(2)`; one buffer of this size per connection.
    public var readBufferSize = 64 * 1024
    /// Queued response bytes above which a connection stops reading pipelined requests.
    public var writeHighWaterMark = 1024 * 1024
    /// Open connections per loop; a connection beyond it is closed at once, so a flood of idle
    /// or slow clients cannot exhaust file descriptors.
    public var maxConnectionsPerLoop = 16_384
    /// Whether answers written while the loop handles a batch of ready connections are held
    /// and written together at the end of the batch (`TCPConnection.coalescesWrites`): one
    /// system call per connection per loop iteration and fewer wake-ups of the peers.
    public var coalescesWrites = true
    /// The listen backlog.
    public var backlog: Int32 = 1024

    /// The defaults above.
    public init() {}
}
