import BFSHTTP
import BFSMetadata

/// Which requests to a bucket need a token, from the bucket's flags as the directory stores and
/// serves them (`BFSMetadata.BucketFlags`: bit 0 public read, bit 1 public write).
///
/// Only reads of public-read buckets are open (DESIGN §11): PUT, DELETE and any other method
/// need a token whatever the flags say. bfs let anyone write to a bucket without its
/// write-private bit, which on a public origin means anyone may overwrite or delete every file;
/// `publicWrite` is kept so a stored value round-trips, and is not honoured.
extension BucketFlags {
    /// Whether a request with `method` must carry a valid token.
    public func requiresToken(for method: HTTPMethod) -> Bool {
        switch method {
        case .get, .head: return !contains(.publicRead)
        default: return true
        }
    }
}
