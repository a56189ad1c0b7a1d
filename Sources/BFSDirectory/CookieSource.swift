import BFSCore

/// Needle cookies: random non-zero 32-bit values from the system CSPRNG.
///
/// bfs derived cookies from 16 bits of wall-clock time (reference §6.20), so a key was enough
/// to guess them. `SystemRandomNumberGenerator` reads the kernel CSPRNG (`getrandom` on Linux,
/// `arc4random` on Darwin). Zero is excluded because a zero cookie is what an unset field
/// reads as.
public struct CookieSource: Sendable {
    /// Makes a cookie source.
    public init() {}

    /// A fresh cookie, never zero.
    public func next() -> Cookie {
        var generator = PooledSystemRandom()
        return Self.cookie(using: &generator)
    }

    /// A non-zero cookie drawn from `generator` (the seam tests use).
    ///
    /// One 64-bit draw folded onto 1...2^32-1 by remainder: the bias is below 2^-32 per value
    /// and, unlike rejection sampling, it never loops whatever the generator gives.
    static func cookie<G: RandomNumberGenerator>(using generator: inout G) -> Cookie {
        let nonZero = UInt32(generator.next() % UInt64(UInt32.max)) + 1
        return Cookie(bitPattern: nonZero)
    }
}
