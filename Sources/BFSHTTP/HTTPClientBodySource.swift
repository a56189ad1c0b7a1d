import BFSLoop

/// A request body produced piece by piece while it is being sent, so an upload of a large file
/// never sits in memory whole (see ``HTTPClientRequest/init(method:host:port:target:headers:bodySource:)``).
///
/// The connection asks for the next piece only after the previous one reached the kernel, so
/// at most one piece is in memory and a slow server slows the reading down (backpressure).
/// A source is read once: a request carrying one is never re-sent after a stale keep-alive
/// connection, since its first bytes are already gone.
public protocol HTTPClientBodySource: AnyObject, Sendable {
    /// The exact body size in bytes, sent as `Content-Length`. A source that ends early or
    /// runs past it fails the request with ``HTTPClientError/bodySourceFailed(_:)``.
    var length: Int { get }

    /// Produces the next piece. Called on `loop`'s thread; must call `deliver` exactly once, on
    /// `loop`'s thread, with non-empty bytes, with an empty array at the end of the body, or
    /// with an error that fails the request. Blocking work (file reads) belongs off the loop,
    /// e.g. in `EventLoop.runBlocking`.
    func next(on loop: EventLoop, _ deliver: @escaping (Result<[UInt8], HTTPClientError>) -> Void)
}
