import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Random numbers from the system CSPRNG, read 256 bytes per system call instead of 8.
///
/// `SystemRandomNumberGenerator` makes one `getrandom` call per 64-bit draw; a needle cookie,
/// a placement choice or a multipart boundary each took one or two, several per upload. This
/// generator hands out the same kernel bytes (`getentropy`, which is `getrandom` on Linux)
/// from a shared pool refilled 32 words at a time, each word used once. The pool lives in
/// process memory, as any user-space CSPRNG's state does (arc4random's on the BSDs); what it
/// guards (cookies) is stored in the metadata anyway.
public struct PooledSystemRandom: RandomNumberGenerator, Sendable {
    /// A generator drawing from the process's pool.
    public init() {}

    /// The next unused word of the pool.
    public mutating func next() -> UInt64 { RandomPool.shared.next() }
}

/// The process-wide pool behind `PooledSystemRandom`.
final class RandomPool: Sendable {
    static let shared = RandomPool()
    /// Words per refill: 256 bytes, the most one `getentropy` call returns.
    static let refillWords = 32

    private struct State {
        var words: [UInt64] = []
        var used = 0
    }
    private let state = Mutex(State())

    func next() -> UInt64 {
        state.withLock { pool in
            if pool.used == pool.words.count {
                pool.words = Self.fresh()
                pool.used = 0
            }
            defer { pool.used += 1 }
            return pool.words[pool.used]
        }
    }

    /// `refillWords` words from the kernel CSPRNG.
    static func fresh() -> [UInt64] {
        var words = [UInt64](repeating: 0, count: refillWords)
        #if canImport(Glibc)
        let filled = words.withUnsafeMutableBytes { getentropy($0.baseAddress, $0.count) == 0 }
        if filled { return words }
        #endif
        // getentropy fails only without a kernel CSPRNG call (ENOSYS): the standard library's
        // draws then, one call each.
        var system = SystemRandomNumberGenerator()
        return words.map { _ in system.next() }
    }
}
