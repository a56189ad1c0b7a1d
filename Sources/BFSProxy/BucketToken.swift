import Crypto
import Foundation

/// A bucket's signing key: the key id clients name and the secret only they and we hold.
public struct BucketKey: Sendable {
    /// The public key id, e.g. `221bce6492eba70f`.
    public var keyId: String
    /// The shared secret (bytes of the string, as bfs uses it).
    public var secret: String

    /// A key from metadata.
    public init(keyId: String, secret: String) {
        self.keyId = keyId
        self.secret = secret
    }
}

/// bfs bucket tokens (reference §4.2): `<keyId>:<signature>:<unixSeconds>`, sent as the query
/// parameter `token` or the `Authorization` header.
///
/// | Part | Content |
/// |---|---|
/// | keyId | the bucket's key id |
/// | signature | standard padded Base64 of HMAC-SHA1(secret, `METHOD\nbucket\nfilename\nunixSeconds\n`) |
/// | unixSeconds | decimal Unix time at signing |
///
/// METHOD is the method as sent (GET, HEAD, PUT, DELETE); filename is the path remainder as
/// sent, before content-addressed naming (so an empty name or one ending in `/` is signed as is).
public struct BucketToken: Equatable, Sendable {
    /// The key id part.
    public var keyId: String
    /// The Base64 signature part.
    public var signature: String
    /// The signing time, Unix seconds.
    public var signedAt: Int64

    /// bfs's window: a token is good from 15 minutes before to 15 minutes after its time, which
    /// covers clock skew between clients and proxies.
    public static let defaultWindow: Int64 = 900

    /// The token a request takes: the query parameter when present, else the `Authorization`
    /// header (bfs's order).
    public static func select(queryToken: String?, authorization: String?) -> String? {
        if let queryToken, !queryToken.isEmpty { return queryToken }
        if let authorization, !authorization.isEmpty { return authorization }
        return nil
    }

    /// Parses the three colon-separated parts.
    public init(parsing text: String) throws(ProxyError) {
        let parts = text.trimmedOWS().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty,
              parts[2].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let signedAt = Int64(parts[2])
        else { throw .tokenMalformed }
        self.init(keyId: String(parts[0]), signature: String(parts[1]), signedAt: signedAt)
    }

    /// A token from its parts.
    public init(keyId: String, signature: String, signedAt: Int64) {
        self.keyId = keyId
        self.signature = signature
        self.signedAt = signedAt
    }

    /// The header or query value.
    public var text: String { "\(keyId):\(signature):\(signedAt)" }

    /// Signs a request (what `bfs put` and other clients do).
    public static func sign(method: String, bucket: String, filename: String, at time: Int64,
                            key: BucketKey) -> BucketToken
    {
        BucketToken(keyId: key.keyId, signature: signature(method: method, bucket: bucket, filename: filename,
                                                           time: time, secret: key.secret),
                    signedAt: time)
    }

    /// Checks that this token authorises the request now.
    ///
    /// The signature is compared in constant time, so response timing does not reveal how many
    /// leading characters of a forged signature were right. The key id is public (it travels in
    /// every token), so comparing it plainly leaks nothing.
    public func verify(method: String, bucket: String, filename: String, key: BucketKey, now: Int64,
                       window: Int64 = defaultWindow) throws(ProxyError)
    {
        guard keyId == key.keyId else { throw .tokenKeyMismatch }
        let (skew, overflow) = now.subtractingReportingOverflow(signedAt)
        guard !overflow, skew.magnitude <= window.magnitude else {
            throw .tokenExpired(signedAt: signedAt, now: now)
        }
        let expected = Self.signature(method: method, bucket: bucket, filename: filename, time: signedAt,
                                      secret: key.secret)
        guard constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
            throw .tokenSignatureMismatch
        }
    }

    /// The Base64 HMAC-SHA1 of the signed string.
    static func signature(method: String, bucket: String, filename: String, time: Int64, secret: String) -> String {
        let message = "\(method)\n\(bucket)\n\(filename)\n\(time)\n"
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(message.utf8),
                                                         using: SymmetricKey(data: Array(secret.utf8)))
        return Data(mac).base64EncodedString()
    }
}

/// Whether two byte strings are equal, taking the same time wherever they differ (only the
/// lengths, which are public, can end it early).
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
