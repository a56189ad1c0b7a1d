import BFSHTTP
import BFSMetadata

/// The one check a request to a bucket goes through before anything else: does it need a
/// token, and if so does it carry a good one.
public struct BucketAuthorization: Sendable {
    /// The bucket's flags, as the directory serves them.
    public var flags: BucketFlags
    /// The bucket's signing key.
    public var key: BucketKey
    /// How far a token's time may lie from now, in seconds.
    public var window: Int64

    /// The rules of one bucket.
    public init(flags: BucketFlags, key: BucketKey, window: Int64 = BucketToken.defaultWindow) {
        self.flags = flags
        self.key = key
        self.window = window
    }

    /// Throws unless the request may go on (every failure is a 401, reference §4.2).
    ///
    /// - Parameters:
    ///   - filename: the path remainder as sent, before content-addressed naming.
    ///   - queryToken: the `token` query parameter, if any.
    ///   - authorization: the `Authorization` header, if any.
    public func check(method: HTTPMethod, bucket: String, filename: String, queryToken: String?,
                      authorization: String?, now: Int64) throws(ProxyError)
    {
        guard flags.requiresToken(for: method) else { return }
        guard let text = BucketToken.select(queryToken: queryToken, authorization: authorization) else {
            throw .tokenMissing
        }
        try BucketToken(parsing: text).verify(method: method.rawValue, bucket: bucket, filename: filename, key: key,
                                              now: now, window: window)
    }
}
