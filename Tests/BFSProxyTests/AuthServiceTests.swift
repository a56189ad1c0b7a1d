import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// Bucket tokens at the proxy (reference §4.2, DESIGN §11): only reads of public-read buckets
/// are open; every failure is 401 with a body saying why.
@Suite(.serialized) struct AuthServiceTests {
    static let data: [UInt8] = Array("secret bytes".utf8)

    @Test func privateReadsNeedAGoodToken() throws {
        try ProxyHarness.with { h in
            h.seed("priv", "x.png", Self.data, key: 3)
            let missing = try h.request("GET", "priv", "x.png")
            #expect(missing.status == 401)
            #expect(missing.text.contains("token required"))
            #expect(missing.header("WWW-Authenticate") == "bfs-token realm=\"priv\"")
            #expect(missing.header("Code") == "401")

            let good = h.token("GET", "priv", "x.png")
            let parts = good.split(separator: ":")
            let forged = "\(parts[0]):AAAA\(parts[1].dropFirst(4)):\(parts[2])"
            let cases: [(String, String)] = [
                (forged, "signature"),
                (h.token("GET", "priv", "x.png", skew: -2000), "window"),
                (h.token("GET", "priv", "x.png", skew: 2000), "window"),
                (h.token("GET", "priv", "x.png", key: h.keys["pub"]), "key id"),
                (h.token("GET", "priv", "x.png", key: BucketKey(keyId: "privkey001", secret: "wrong")), "signature"),
                (h.token("HEAD", "priv", "x.png"), "signature"),
                (h.token("GET", "priv", "y.png"), "signature"),
                ("not-a-token", "malformed"),
            ]
            for (token, why) in cases {
                let response = try h.request("GET", "priv", "x.png", headers: [("Authorization", token)])
                #expect(response.status == 401, "\(why)")
                #expect(response.text.contains(why), "\(response.text)")
            }
            #expect(h.storeReads == 0)
            let header = try h.request("GET", "priv", "x.png", headers: [("Authorization", good)])
            #expect(header.status == 200 && header.body == Self.data)
            let query = try h.request("GET", "priv", "x.png", query: "token=" + good.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(query.status == 200)
            #expect(try h.request("HEAD", "priv", "x.png", signed: true).status == 200)
        }
    }

    @Test func publicReadsAreOpenButWritesNeverAre() throws {
        try ProxyHarness.with { h in
            h.seed("pub", "x.png", Self.data, key: 3)
            #expect(try h.request("GET", "pub", "x.png").status == 200)
            #expect(try h.request("HEAD", "pub", "x.png").status == 200)
            let put = try h.request("PUT", "pub", "y.png", headers: [("Content-Type", "image/png")], body: Self.data)
            #expect(put.status == 401)
            #expect(try h.request("DELETE", "pub", "x.png").status == 401)
            // Even a bucket whose flags say public write (bfs's bit) needs a token here.
            h.directory.buckets.with { $0["open"] = .init(name: "open", flags: [.publicRead, .publicWrite], keyID: "k", secret: "s",
                                                           domain: "", cachePolicy: "") }
            #expect(try h.request("PUT", "open", "y.png", headers: [("Content-Type", "image/png")], body: Self.data).status == 401)
            // A token for another method does not do.
            let wrongMethod = try h.request("PUT", "pub", "y.png", headers: [("Content-Type", "image/png"),
                                                                          ("Authorization", h.token("GET", "pub", "y.png"))], body: Self.data)
            #expect(wrongMethod.status == 401)
            #expect(h.directory.count("/allocate") == 0)
            #expect(h.directory.files.get["pub/x.png"] != nil)
        }
    }

    @Test func aRotatedKeyTakesEffectAfterTheBucketTTL() throws {
        try ProxyHarness.with(configure: { $0.bucketTTL = .milliseconds(200) }) { h in
            h.seed("priv", "x.png", Self.data, key: 3)
            #expect(try h.request("GET", "priv", "x.png", signed: true).status == 200)
            let rotated = BucketKey(keyId: "privkey002", secret: "rotated")
            h.directory.buckets.with { $0["priv"]?.keyID = rotated.keyId; $0["priv"]?.secret = rotated.secret }
            let accepted = try waitUntil(seconds: 5) {
                try h.request("GET", "priv", "x.png", headers: [("Authorization", h.token("GET", "priv", "x.png", key: rotated))]).status == 200
            }
            #expect(accepted)
            #expect(try h.request("GET", "priv", "x.png", signed: true).status == 401)
        }
    }
}
