import BFSCore
import BFSHTTP

/// An error answer of the public API: a real HTTP status, the bfs code for the `Code` header,
/// and a one-line text body that says why (bfs answered most failures 200 with an empty body).
///
/// | Condition | Status | `Code` |
/// |---|---|---|
/// | bad path, missing `Content-Type`, empty body | 400 | 400 |
/// | token missing, malformed, expired, wrong key or signature | 401 | 401 |
/// | unknown bucket / unknown file | 404 | 404 / 5001 (bfs not-found ret) |
/// | filename over 100 bytes, body over `max_file_size` | 413 | 413 |
/// | directory or store unreachable or answering garbage | 502 | 502, or the bfs ret they sent |
/// | no writable group or readable store, upload budget exhausted | 503 | 503 or the bfs ret |
/// | directory or store timed out | 504 | 504 |
///
/// A 401 also carries `WWW-Authenticate: bfs-token realm="<bucket>"`: RFC 9110 §11.6.1 wants a
/// challenge on every 401, and bfs tokens are no registered scheme, so the challenge names ours.
public struct ProxyFailure: Error, Sendable, Equatable {
    /// The HTTP status.
    public var status: HTTPStatus
    /// The value of the `Code` header: a bfs ret, or the status code itself.
    public var code: Int
    /// Why, for the client (one line).
    public var message: String

    /// A failure with `code` equal to the status unless given.
    public init(_ status: HTTPStatus, _ message: String, code: Int? = nil) {
        self.status = status
        self.code = code ?? status.code
        self.message = message
    }

    /// The failure for a token problem (always 401, reference §4.2), naming it.
    static func unauthorized(_ error: ProxyError) -> ProxyFailure {
        let why = switch error {
        case .tokenMissing: "token required (query parameter token or Authorization: <keyId>:<signature>:<unixSeconds>)"
        case .tokenMalformed: "token malformed (want <keyId>:<signature>:<unixSeconds>)"
        case .tokenKeyMismatch: "token key id is not this bucket's"
        case .tokenExpired: "token time outside the accepted window (check the client's clock)"
        case .tokenSignatureMismatch: "token signature does not match"
        default: "\(error)"
        }
        return ProxyFailure(.unauthorized, why, code: Ret.authFailed.rawValue)
    }

    /// The failure for a backend call that got no usable answer.
    static func backend(_ what: String, _ error: HTTPClientError) -> ProxyFailure {
        switch error {
        case .connectTimeout, .requestTimeout: ProxyFailure(.gatewayTimeout, "\(what) timed out")
        default: ProxyFailure(.badGateway, "\(what) failed: \(error)")
        }
    }

    /// The failure for a directory answer with a bfs ret other than success.
    static func directoryRet(_ ret: Int, doing what: String) -> ProxyFailure {
        switch ret {
        case Ret.serviceUnavailable.rawValue, Ret.storeNotAvailable.rawValue:
            ProxyFailure(.serviceUnavailable, "\(what): no writable or readable store right now (ret \(ret))", code: ret)
        case Ret.bucketNotExist.rawValue: ProxyFailure(.notFound, "bucket not found", code: ret)
        case Ret.needleNotExist.rawValue: ProxyFailure(.notFound, "file not found", code: ret)
        case Ret.preconditionFailed.rawValue:
            ProxyFailure(.preconditionFailed, "precondition failed: the file changed while the \(what) was on its way", code: ret)
        default: ProxyFailure(.badGateway, "\(what): directory answered ret \(ret)", code: ret)
        }
    }
}
