import BFSHTTP
import Foundation
import BFSMetadata
import Testing
@testable import BFSProxy

@Suite struct BucketTokenTests {
    /// bfs's shipped test bucket (reference §4.2).
    static let key = BucketKey(keyId: "221bce6492eba70f", secret: "6eb80603e85842542f9736eb13b7e3")

    /// Golden signatures computed independently with Python's standard library:
    /// `base64.b64encode(hmac.new(secret.encode(), f"{m}\n{b}\n{f}\n{t}\n".encode(), hashlib.sha1).digest())`.
    @Test(arguments: [
        ("PUT", "test", "a.jpg", Int64(1_700_000_000), "6eb80603e85842542f9736eb13b7e3", "pfBhYioY9vyIFtZvMMwGuN34zpQ="),
        ("GET", "test", "dir/x.png", Int64(1_700_000_900), "6eb80603e85842542f9736eb13b7e3", "/lvD+r1Iqa9kPtCsvLRyDKOpUX8="),
        ("DELETE", "default", "", Int64(1), "s", "sZuLWeg8oIGMowhiau2YQfxpnbw="),
    ])
    func goldenSignatures(method: String, bucket: String, filename: String, time: Int64, secret: String,
                          expected: String) throws {
        let key = BucketKey(keyId: "k", secret: secret)
        let token = BucketToken.sign(method: method, bucket: bucket, filename: filename, at: time, key: key)
        #expect(token.signature == expected)
        #expect(token.text == "k:\(expected):\(time)")
        try BucketToken(parsing: token.text).verify(method: method, bucket: bucket, filename: filename, key: key,
                                                    now: time)
    }

    func verify(_ text: String, method: String = "PUT", bucket: String = "test", filename: String = "a.jpg",
                now: Int64 = 1_700_000_000, window: Int64 = BucketToken.defaultWindow) throws(ProxyError) {
        try BucketToken(parsing: text).verify(method: method, bucket: bucket, filename: filename, key: Self.key,
                                              now: now, window: window)
    }

    static let good = "221bce6492eba70f:pfBhYioY9vyIFtZvMMwGuN34zpQ=:1700000000"

    @Test func acceptsWithinTheWindowBothWays() throws {
        try verify(Self.good)
        try verify(Self.good, now: 1_700_000_900)
        try verify(Self.good, now: 1_699_999_100)
        #expect(throws: ProxyError.tokenExpired(signedAt: 1_700_000_000, now: 1_700_000_901)) {
            try verify(Self.good, now: 1_700_000_901)
        }
        #expect(throws: ProxyError.tokenExpired(signedAt: 1_700_000_000, now: 1_699_999_099)) {
            try verify(Self.good, now: 1_699_999_099)
        }
        #expect(throws: ProxyError.tokenExpired(signedAt: 1_700_000_000, now: 1_700_000_061)) {
            try verify(Self.good, now: 1_700_000_061, window: 60)
        }
    }

    @Test func signatureBindsMethodBucketFilenameAndTime() {
        #expect(throws: ProxyError.tokenSignatureMismatch) { try verify(Self.good, method: "DELETE") }
        #expect(throws: ProxyError.tokenSignatureMismatch) { try verify(Self.good, bucket: "other") }
        #expect(throws: ProxyError.tokenSignatureMismatch) { try verify(Self.good, filename: "b.jpg") }
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try verify("221bce6492eba70f:pfBhYioY9vyIFtZvMMwGuN34zpQ=:1700000001")
        }
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try verify("221bce6492eba70f:pfBhYioY9vyIFtZvMMwGuN34zpq=:1700000000")
        }
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try verify("221bce6492eba70f:pfBhYioY9vyIFtZvMMwGuN34zpQ:1700000000")
        }
        #expect(throws: ProxyError.tokenKeyMismatch) { try verify("221bce6492eba70e:pfBhYioY9vyIFtZvMMwGuN34zpQ=:1700000000") }
    }

    @Test(arguments: ["", "a:b", "a:b:c:d", "a:b:x", "a::1", ":b:1", "a:b:", "a:b:-5", "a:b:+5", "a:b:1 2",
                      "a:b:99999999999999999999"])
    func malformedTokens(text: String) {
        #expect(throws: ProxyError.tokenMalformed) { try BucketToken(parsing: text) }
    }

    @Test func everyFailureIsBfs401() {
        let failures: [ProxyError] = [.tokenMissing, .tokenMalformed, .tokenKeyMismatch,
                                      .tokenExpired(signedAt: 0, now: 0), .tokenSignatureMismatch]
        #expect(failures.allSatisfy { $0.ret.rawValue == 401 })
    }

    @Test func queryTokenBeforeAuthorizationHeader() {
        #expect(BucketToken.select(queryToken: "q", authorization: "h") == "q")
        #expect(BucketToken.select(queryToken: "", authorization: "h") == "h")
        #expect(BucketToken.select(queryToken: nil, authorization: "h") == "h")
        #expect(BucketToken.select(queryToken: nil, authorization: nil) == nil)
    }

    /// The in-place Base64 comparison agrees with Foundation's encoder, and any changed
    /// character, dropped padding or extra byte fails it.
    @Test func base64ComparisonMatchesFoundation() {
        for time in Int64(0)..<64 {
            let mac = BucketToken.mac(method: "PUT", bucket: "b", filename: "f\(time)", time: time, secret: "s")
            let encoded = Data(mac).base64EncodedString()
            #expect(BucketToken.base64Equals(mac, encoded))
            var bytes = Array(encoded.utf8)
            bytes[Int(time) % bytes.count] ^= 0x01
            #expect(!BucketToken.base64Equals(mac, String(decoding: bytes, as: UTF8.self)))
            #expect(!BucketToken.base64Equals(mac, String(encoded.dropLast())))
            #expect(!BucketToken.base64Equals(mac, encoded + "="))
        }
    }

    @Test func constantTimeEqualCompares() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([9, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(constantTimeEqual([], []))
    }

    /// Only reads of public buckets go without a token (DESIGN §11).
    @Test(arguments: [
        (BucketFlags(), HTTPMethod.get, true), (BucketFlags(), .head, true),
        (BucketFlags(), .put, true), (BucketFlags(), .delete, true), (BucketFlags(), .post, true),
        (BucketFlags.publicRead, .get, false), (BucketFlags.publicRead, .head, false),
        (BucketFlags.publicRead, .put, true), (BucketFlags.publicWrite, .put, true),
        (BucketFlags.all, .get, false), (BucketFlags.all, .delete, true),
    ])
    func tokenRequirement(flags: BucketFlags, method: HTTPMethod, required: Bool) {
        #expect(flags.requiresToken(for: method) == required)
    }
}

@Suite struct BucketAuthorizationTests {
    static let rules = BucketAuthorization(flags: .publicRead, key: BucketTokenTests.key)

    @Test func publicReadsNeedNothingWritesNeedAToken() throws {
        try Self.rules.check(method: .get, bucket: "test", filename: "a.jpg", queryToken: nil, authorization: nil,
                             now: 1_700_000_000)
        #expect(throws: ProxyError.tokenMissing) {
            try Self.rules.check(method: .put, bucket: "test", filename: "a.jpg", queryToken: nil, authorization: "",
                                 now: 1_700_000_000)
        }
        try Self.rules.check(method: .put, bucket: "test", filename: "a.jpg", queryToken: nil,
                             authorization: BucketTokenTests.good, now: 1_700_000_000)
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try Self.rules.check(method: .put, bucket: "test", filename: "a.jpg", queryToken: "221bce6492eba70f:AAAA:1700000000",
                                 authorization: BucketTokenTests.good, now: 1_700_000_000)
        }
    }

    @Test func privateReadsNeedATokenSignedForTheRead() throws {
        let rules = BucketAuthorization(flags: [], key: BucketTokenTests.key, window: 60)
        #expect(throws: ProxyError.tokenMissing) {
            try rules.check(method: .head, bucket: "test", filename: "x", queryToken: nil, authorization: nil, now: 0)
        }
        let token = BucketToken.sign(method: "GET", bucket: "test", filename: "x", at: 1000, key: BucketTokenTests.key)
        try rules.check(method: .get, bucket: "test", filename: "x", queryToken: token.text, authorization: nil, now: 1060)
        #expect(throws: ProxyError.tokenSignatureMismatch) {
            try rules.check(method: .head, bucket: "test", filename: "x", queryToken: token.text, authorization: nil,
                            now: 1000)
        }
        #expect(throws: ProxyError.tokenExpired(signedAt: 1000, now: 1061)) {
            try rules.check(method: .get, bucket: "test", filename: "x", queryToken: token.text, authorization: nil,
                            now: 1061)
        }
    }
}
