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
        let expected = Self.mac(method: method, bucket: bucket, filename: filename, time: signedAt, secret: key.secret)
        guard Self.base64Equals(expected, signature) else { throw .tokenSignatureMismatch }
    }

    /// The Base64 HMAC-SHA1 of the signed string.
    static func signature(method: String, bucket: String, filename: String, time: Int64, secret: String) -> String {
        Data(mac(method: method, bucket: bucket, filename: filename, time: time, secret: secret)).base64EncodedString()
    }

    /// HMAC-SHA1(secret, `METHOD\nbucket\nfilename\nunixSeconds\n`).
    static func mac(method: String, bucket: String, filename: String, time: Int64,
                    secret: String) -> HMAC<Insecure.SHA1>.MAC {
        let seconds = String(time)
        var message: [UInt8] = []
        message.reserveCapacity(method.utf8.count + bucket.utf8.count + filename.utf8.count + seconds.utf8.count + 4)
        for part in [method, bucket, filename, seconds] {
            message.append(contentsOf: part.utf8)
            message.append(UInt8(ascii: "\n"))
        }
        return HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
    }

    /// Whether `text` is the standard padded Base64 of `mac`, compared in constant time (only
    /// the length, which is public, can end it early). The Base64 is written on the stack.
    static func base64Equals(_ mac: HMAC<Insecure.SHA1>.MAC, _ text: String) -> Bool {
        mac.withUnsafeBytes { raw in
            let encodedCount = (raw.count + 2) / 3 * 4
            guard text.utf8.count == encodedCount else { return false }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: encodedCount) { encoded in
                var at = 0
                var index = 0
                while index < raw.count {
                    let remaining = raw.count - index
                    let b0 = UInt32(raw[index])
                    let b1 = remaining > 1 ? UInt32(raw[index + 1]) : 0
                    let b2 = remaining > 2 ? UInt32(raw[index + 2]) : 0
                    let group = b0 << 16 | b1 << 8 | b2
                    encoded[at] = base64Digit(group >> 18)
                    encoded[at + 1] = base64Digit(group >> 12)
                    encoded[at + 2] = remaining > 1 ? base64Digit(group >> 6) : UInt8(ascii: "=")
                    encoded[at + 3] = remaining > 2 ? base64Digit(group) : UInt8(ascii: "=")
                    at += 4
                    index += 3
                }
                var difference: UInt8 = 0
                for (offset, byte) in text.utf8.enumerated() { difference |= encoded[offset] ^ byte }
                return difference == 0
            }
        }
    }

    /// The standard Base64 digit of the low six bits of `bits`.
    private static func base64Digit(_ bits: UInt32) -> UInt8 {
        let value = UInt8(bits & 0x3F)
        switch value {
        case 0..<26: return UInt8(ascii: "A") + value
        case 26..<52: return UInt8(ascii: "a") + value - 26
        case 52..<62: return UInt8(ascii: "0") + value - 52
        case 62: return UInt8(ascii: "+")
        default: return UInt8(ascii: "/")
        }
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
