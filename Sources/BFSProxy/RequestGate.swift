import BFSHTTP
import BFSMetadata

/// The steps every public request goes through before its handler's own work: the path names a
/// bucket, the bucket exists, and the request carries a good token when it needs one
/// (reference §4.1, §4.2; BucketAccess).
struct RequestGate {
    let context: ProxyContext

    /// Calls `then` with the bucket, or answers 404/401/5xx itself.
    ///
    /// - Parameters:
    ///   - signedMethod: the method the token must sign (listing signs as GET).
    ///   - signedFilename: the filename the token must sign (the path's, before naming).
    ///   - alwaysToken: require a token even when the bucket's flags would not (listing).
    func admit(_ ex: ProxyExchange, path: ProxyPath, signedMethod: HTTPMethod, signedFilename: String,
               query: FormFields, alwaysToken: Bool = false, then: @escaping (Bucket) -> Void) {
        context.bucket(path.bucket, on: ex.loop) { [context] result in
            switch result {
            case .failure(let failure):
                ex.fail(failure)
            case .success(nil):
                ex.fail(ProxyFailure(.notFound, "bucket \(path.bucket) not found", code: 404))
            case .success(let bucket?):
                var flags = bucket.flags
                if alwaysToken { flags.remove(.publicRead) }
                let authorization = BucketAuthorization(flags: flags, key: BucketKey(keyId: bucket.keyID, secret: bucket.secret),
                                                        window: context.settings.tokenWindowSeconds)
                do throws(ProxyError) {
                    try authorization.check(method: signedMethod, bucket: path.bucket, filename: signedFilename,
                                            queryToken: query.first("token"), authorization: ex.head.headers["Authorization"],
                                            now: context.now())
                } catch {
                    // bfs tokens are no registered scheme; the challenge names ours and the bucket.
                    return ex.fail(.unauthorized(error), headers: ["WWW-Authenticate": "bfs-token realm=\"\(path.bucket)\""])
                }
                then(bucket)
            }
        }
    }
}
