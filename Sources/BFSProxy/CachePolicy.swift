/// How long caches may keep a bucket's files: the bucket's cache policy in metadata, rendered
/// as `Cache-Control` and `Expires`.
///
/// | Policy | Bucket | `Cache-Control` |
/// |---|---|---|
/// | `maxAge` 315360000 (default, bfs's 10 years) | public read | `public, max-age=315360000` |
/// | `maxAge` N, `immutable` | public read | `public, max-age=N, immutable` |
/// | `maxAge` N | read-private | `private, max-age=N` (a CDN must not hand it to others) |
/// | `maxAge` 0 | any | `no-cache` (store, but revalidate every time: cheap 304s) |
///
/// `Expires` is now + max-age for HTTP/1.0 caches (bfs used mtime + 20 years for the default,
/// already in the past for old files' revalidations, and rendered local time as GMT).
public struct CachePolicy: Equatable, Sendable {
    /// Seconds a cache may serve the file without revalidating; 0 means always revalidate.
    public var maxAge: Int64
    /// Whether to add `immutable` (RFC 8246): bfs files change only by overwrite, and a bucket
    /// whose names are content-addressed never changes a name's bytes at all.
    public var immutable: Bool

    /// A policy; a negative `maxAge` counts as 0.
    public init(maxAge: Int64, immutable: Bool = false) {
        self.maxAge = max(0, maxAge)
        self.immutable = immutable
    }

    /// bfs's default: `max-age=315360000`, ten years.
    public static let standard = CachePolicy(maxAge: 315_360_000)

    /// The `Cache-Control` value for a file of a bucket that is (or is not) read-private.
    public func cacheControl(readPrivate: Bool) -> String {
        guard maxAge > 0 else { return readPrivate ? "private, no-cache" : "no-cache" }
        var value = ""
        value.reserveCapacity(48)
        value += readPrivate ? "private" : "public"
        value += ", max-age="
        value += String(maxAge)
        if immutable { value += ", immutable" }
        return value
    }

    /// The `Expires` time (Unix seconds) of an answer sent at `now`.
    public func expires(now: Int64) -> Int64 {
        let (sum, overflow) = now.addingReportingOverflow(maxAge)
        return overflow ? Int64.max : sum
    }
}

extension CachePolicy {
    /// The policy a bucket's `cache_policy` text describes (as `bfs bucket` and ops store it).
    ///
    /// | Text | Policy |
    /// |---|---|
    /// | `` | `standard` (bfs's ten years) |
    /// | `max-age=N` / `max-age=N, immutable` | N seconds, with `immutable` when named |
    /// | `no-cache` or `max-age=0` | revalidate every time |
    /// | anything else | `standard`: an unreadable policy must not make files uncacheable |
    ///
    /// `public`/`private` in the text are ignored: the bucket's read flag decides those.
    public init(bucketValue text: String) {
        var maxAge: Int64?
        var immutable = false
        for directive in text.lowercased().split(separator: ",") {
            let token = directive.trimmedOWS()
            if token == "immutable" {
                immutable = true
            } else if token == "no-cache" {
                maxAge = 0
            } else if token.hasPrefix("max-age="), let value = Int64(token.dropFirst("max-age=".count)), value >= 0 {
                maxAge = value
            }
        }
        guard let maxAge else {
            self = .standard
            return
        }
        self.init(maxAge: maxAge, immutable: immutable)
    }
}
