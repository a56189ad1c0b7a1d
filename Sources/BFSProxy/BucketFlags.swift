import BFSHTTP

/// A bucket's access bits, as bfs stores them in the bucket property (reference §4.2).
///
/// | Bit | Meaning |
/// |---|---|
/// | 0 (value 1) | read-private: GET and HEAD need a token |
/// | 1 (value 2) | write-private: kept as stored, but see below |
///
/// Only reads of public buckets are open (DESIGN §11): PUT, DELETE and any other method need a
/// token whatever the bits say. bfs let anyone write to a bucket without bit 1, which on a
/// public origin means anyone may overwrite or delete every file in it.
public struct BucketFlags: OptionSet, Hashable, Sendable {
    /// The property bits.
    public let rawValue: Int

    /// Flags from bfs's property value.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Reads need a token.
    public static let readPrivate = BucketFlags(rawValue: 1 << 0)
    /// Writes need a token (always true here; the bit is kept so bfs property values round-trip).
    public static let writePrivate = BucketFlags(rawValue: 1 << 1)

    /// Whether a request with `method` must carry a valid token.
    public func requiresToken(for method: HTTPMethod) -> Bool {
        switch method {
        case .get, .head: return contains(.readPrivate)
        default: return true
        }
    }
}
