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
    /// The path does not start with the configured prefix.
    case pathOutsidePrefix
    /// The bucket segment of the path is empty.
    case emptyBucket
    /// A `%` in the path not followed by two hex digits, or decoded bytes that are not UTF-8.
    case badPathEncoding
    /// An upload body past `max_file_size`.
    case bodyTooLarge(limit: Int)
    /// The process-wide upload budget cannot hold the body now.
    case uploadBudgetExhausted

    /// The bfs `ret` code (and proxy HTTP status) of the condition.
    public var ret: Ret {
        switch self {
        case .tokenMissing, .tokenMalformed, .tokenKeyMismatch, .tokenExpired, .tokenSignatureMismatch:
            return .authFailed
        case .filenameTooLong, .bodyTooLarge:
            return .fileTooLarge
        case .pathOutsidePrefix, .emptyBucket, .badPathEncoding:
            return .urlBad
        case .uploadBudgetExhausted:
            return .serviceUnavailable
        }
    }
}
