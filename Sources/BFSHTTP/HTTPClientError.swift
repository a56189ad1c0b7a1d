import BFSLoop

/// Why an HTTP client request failed.
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TCP connection could not be made (refused, unreachable, name not found...).
    case connectFailed(UVError)
    /// The TCP connection was not made within the connect timeout.
    case connectTimeout
    /// No complete response arrived within the request timeout.
    case requestTimeout
    /// Reading or writing the connection failed.
    case transport(UVError)
    /// The server closed the connection before the response was complete.
    case connectionClosed
    /// The response does not follow HTTP/1.1 (carries what was wrong).
    case malformedResponse(String)
    /// The response's status line and headers exceed the configured limit.
    case responseHeadTooLarge(limit: Int)
    /// A gathered response body exceeds the caller's limit.
    case responseBodyTooLarge(limit: Int)
    /// The request is unusable (carries why), e.g. a header value with a line break.
    case invalidRequest(String)
    /// The client was closed before the request completed.
    case clientClosed
    /// The caller cancelled the request (``HTTPClientTask/cancel()``).
    case cancelled
    /// A streamed request body (``HTTPClientBodySource``) failed or did not match its length
    /// (carries why).
    case bodySourceFailed(String)

    /// A one-line message for logs.
    public var description: String {
        switch self {
        case .connectFailed(let error): return "connect failed: \(error)"
        case .connectTimeout: return "connect timed out"
        case .requestTimeout: return "request timed out"
        case .transport(let error): return "connection failed: \(error)"
        case .connectionClosed: return "connection closed before the response was complete"
        case .malformedResponse(let why): return "malformed response: \(why)"
        case .responseHeadTooLarge(let limit): return "response head larger than \(limit) bytes"
        case .responseBodyTooLarge(let limit): return "response body larger than \(limit) bytes"
        case .invalidRequest(let why): return "invalid request: \(why)"
        case .clientClosed: return "client closed"
        case .cancelled: return "request cancelled"
        case .bodySourceFailed(let why): return "request body failed: \(why)"
        }
    }
}
