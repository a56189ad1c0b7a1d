import BFSProxy

/// A bucket's key as a client holds it, and the `Authorization` value it signs requests with
/// (reference §4.2, built by BFSProxy's `BucketToken` so client and proxy agree by construction).
public struct ClientCredentials: Equatable, Sendable {
    /// The key id (`bfs up` prints it).
    public var keyId: String
    /// The secret.
    public var secret: String

    /// A key from its parts.
    public init(keyId: String, secret: String) {
        self.keyId = keyId
        self.secret = secret
    }

    /// Credentials from options or, when absent, the environment (`BFS_KEY_ID`, `BFS_SECRET`);
    /// nil when neither gives both parts.
    public static func resolve(keyId: String?, secret: String?, environment: [String: String]) -> ClientCredentials? {
        guard let keyId = nonEmpty(keyId) ?? nonEmpty(environment["BFS_KEY_ID"]),
              let secret = nonEmpty(secret) ?? nonEmpty(environment["BFS_SECRET"])
        else { return nil }
        return ClientCredentials(keyId: keyId, secret: secret)
    }

    /// The `Authorization` header value for `method` on `bucket`/`filename` at Unix time `now`.
    ///
    /// `filename` is the name as sent, before the proxy names a content-addressed file; a
    /// listing signs a GET with an empty filename.
    public func authorization(method: String, bucket: String, filename: String, now: Int64) -> String {
        BucketToken.sign(method: method, bucket: bucket, filename: filename, at: now,
                         key: BucketKey(keyId: keyId, secret: secret)).text
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }
}
