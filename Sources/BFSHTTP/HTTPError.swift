/// Failures of the HTTP layer, seen by handlers and callers.
public enum HTTPError: Error, Equatable, Sendable {
    /// The connection closed before the exchange finished (client gone, reset, server stop).
    case connectionClosed
    /// The request body exceeded the server's or the handler's limit (`limit` bytes).
    case bodyTooLarge(limit: Int)
    /// The request body did not arrive in time.
    case timeout
    /// The exchange was already answered.
    case alreadyResponded
    /// A file-range body failed (`errno` of `sendfile`/`pread`, or EIO for a short file).
    case fileRead(errno: Int32)
}
