import Crypto
import Foundation
import _CryptoExtras

/// The ops admin password as stored in `Conf/ops.toml`: PBKDF2-HMAC-SHA256 over a random salt.
///
/// Text form (what `bfs ops hash-password` prints and `ops.admin_password_hash` holds):
///
/// | Field | Meaning |
/// |---|---|
/// | `pbkdf2-sha256` | the scheme; anything else is refused |
/// | rounds | decimal iteration count, at least `minimumRounds` |
/// | salt | base64 of 16 random bytes |
/// | key | base64 of the 32-byte derived key |
///
/// joined by `$`, e.g. `pbkdf2-sha256$210000$q83v...==$Zm9v...=`. 210 000 rounds is OWASP's
/// 2023 figure for PBKDF2-HMAC-SHA256; a check costs tens of milliseconds, so it runs off the loop.
public struct PasswordHash: Sendable, Equatable {
    /// The scheme name in the text form.
    public static let scheme = "pbkdf2-sha256"
    /// Rounds for new hashes.
    public static let defaultRounds = 210_000
    /// Fewer rounds than this are refused (a typo must not make the hash cheap to attack).
    public static let minimumRounds = 10_000

    /// The iteration count.
    public let rounds: Int
    /// The salt bytes.
    public let salt: [UInt8]
    /// The derived key bytes.
    public let key: [UInt8]

    /// Parses the text form; nil when it is not one.
    public init?(encoded: String) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == Self.scheme, let rounds = Int(parts[1]), rounds >= Self.minimumRounds,
              let salt = Data(base64Encoded: parts[2]), salt.count >= 4,
              let key = Data(base64Encoded: parts[3]), key.count == 32 else { return nil }
        self.rounds = rounds
        self.salt = Array(salt)
        self.key = Array(key)
    }

    /// Hashes `password` with a fresh random salt.
    public init(password: String, rounds: Int = PasswordHash.defaultRounds) throws {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &generator) }
        self.rounds = rounds
        self.salt = salt
        self.key = try Self.derive(password, salt: salt, rounds: rounds)
    }

    /// The text form.
    public var encoded: String {
        "\(Self.scheme)$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// Whether `password` hashes to this key (compared in constant time). Slow by design.
    public func matches(_ password: String) -> Bool {
        guard let derived = try? Self.derive(password, salt: salt, rounds: rounds) else { return false }
        return constantTimeEqual(derived, key)
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                    outputByteCount: 32, unsafeUncheckedRounds: rounds)
        // Our own floor (`minimumRounds`) applies; swift-crypto's checked form insists on its own.
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference: UInt8 = a.count == b.count ? 0 : 1
    for i in 0..<max(a.count, b.count) {
        difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
    }
    return difference == 0
}
