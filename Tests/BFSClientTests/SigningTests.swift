import BFSHTTP
import BFSMetadata
import BFSProxy
import Testing
@testable import BFSClient

/// The client's tokens must pass the proxy's own check (BucketAuthorization), and only for the
/// request they were made for.
@Suite struct SigningTests {
    let credentials = ClientCredentials(keyId: "221bce6492eba70f", secret: "6eb80603e85842542f9736eb13b7e3")
    var authorization: BucketAuthorization {
        BucketAuthorization(flags: [], key: BucketKey(keyId: credentials.keyId, secret: credentials.secret))
    }

    @Test(arguments: [("PUT", "cat.jpg"), ("GET", "a/b.png"), ("HEAD", "x"), ("DELETE", "cat.jpg"),
                      ("PUT", ""), ("PUT", "avatars/"), ("GET", "")])
    func tokenPassesTheProxysCheck(method: String, filename: String) throws {
        let header = credentials.authorization(method: method, bucket: "default", filename: filename, now: 1_700_000_000)
        try authorization.check(method: HTTPMethod(rawValue: method), bucket: "default", filename: filename,
                                queryToken: nil, authorization: header, now: 1_700_000_000 + 899)
    }

    @Test func tokenIsBoundToMethodBucketAndName() {
        let header = credentials.authorization(method: "PUT", bucket: "default", filename: "cat.jpg", now: 1_700_000_000)
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try authorization.check(method: .delete, bucket: "default", filename: "cat.jpg", queryToken: nil,
                                    authorization: header, now: 1_700_000_000)
        }
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try authorization.check(method: .put, bucket: "other", filename: "cat.jpg", queryToken: nil,
                                    authorization: header, now: 1_700_000_000)
        }
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try authorization.check(method: .put, bucket: "default", filename: "dog.jpg", queryToken: nil,
                                    authorization: header, now: 1_700_000_000)
        }
    }

    @Test func wrongSecretAndSkewAreRefused() {
        let wrong = ClientCredentials(keyId: credentials.keyId, secret: "not-the-secret")
        let header = wrong.authorization(method: "GET", bucket: "default", filename: "a", now: 1_700_000_000)
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try authorization.check(method: .get, bucket: "default", filename: "a", queryToken: nil,
                                    authorization: header, now: 1_700_000_000)
        }
        let good = credentials.authorization(method: "GET", bucket: "default", filename: "a", now: 1_700_000_000)
        #expect(throws: ProxyError.tokenExpired(signedAt: 1_700_000_000, now: 1_700_000_901)) {
            try authorization.check(method: .get, bucket: "default", filename: "a", queryToken: nil,
                                    authorization: good, now: 1_700_000_901)
        }
    }

    @Test func headerHasTheBfsShape() throws {
        let header = credentials.authorization(method: "GET", bucket: "default", filename: "a", now: 1_700_000_000)
        let parts = header.split(separator: ":")
        #expect(parts.count == 3)
        #expect(parts[0] == "221bce6492eba70f")
        #expect(parts[2] == "1700000000")
        #expect(parts[1].count == 28)  // Base64 of a 20-byte HMAC-SHA1, padded
    }

    @Test func credentialsFromOptionsThenEnvironment() {
        let environment = ["BFS_KEY_ID": "envkey", "BFS_SECRET": "envsecret"]
        #expect(ClientCredentials.resolve(keyId: nil, secret: nil, environment: environment)
            == ClientCredentials(keyId: "envkey", secret: "envsecret"))
        #expect(ClientCredentials.resolve(keyId: "k", secret: "s", environment: environment)
            == ClientCredentials(keyId: "k", secret: "s"))
        #expect(ClientCredentials.resolve(keyId: "k", secret: nil, environment: [:]) == nil)
        #expect(ClientCredentials.resolve(keyId: "", secret: "", environment: [:]) == nil)
    }
}
