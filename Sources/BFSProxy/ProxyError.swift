import BFSCore

/// Why the proxy refuses a request, each case mapped once to a bfs `ret` code.
public enum ProxyError: Error, Equatable, Sendable {
    /// The request needs a token and carries none.
    case tokenMissing
    /// The token is not `<keyId>:<signature>:<unixSeconds>`.
    case tokenMalformed
    /// The token names another key than the bucket's.
    case tokenKeyMismatch
    /// The token's time lies outside the accepted window around now.
    case tokenExpired(signedAt: Int64, now: Int64)
    /// The signature is not the bucket secret's HMAC of this request.
    case tokenSignatureMismatch
    /// A filename longer than bfs's limit (100 bytes).
    case filenameTooLong(size: Int)

    /// The bfs `ret` code (and proxy HTTP status) of the condition.
    public var ret: Ret {
        switch self {
        case .tokenMissing, .tokenMalformed, .tokenKeyMismatch, .tokenExpired, .tokenSignatureMismatch:
            return .authFailed
        case .filenameTooLong:
            return .fileTooLarge
        }
    }
}
