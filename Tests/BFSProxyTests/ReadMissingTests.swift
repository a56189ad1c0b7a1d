import BFSCore
import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// `missing_ttl`: a name the directory does not know is remembered for a while, so repeated
/// requests for missing files do not each cost a directory lookup; this proxy's own PUT of the
/// name ends that at once.
@Suite(.serialized) struct ReadMissingTests {
    static let data: [UInt8] = (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 13) }

    @Test func missingNamesAreRememberedUntilThisProxyWritesThem() throws {
        try ProxyHarness.with(configure: { $0.missingFileTTL = .seconds(60) }) { h in
            for _ in 0..<5 {
                let get = try h.request("GET", "pub", "nope.png")
                #expect(get.status == 404)
                #expect(get.header("Code") == String(Ret.needleNotExist.rawValue))
            }
            #expect(h.directory.count("/get") == 1)
            #expect(try h.request("HEAD", "pub", "nope.png").status == 404)
            #expect(h.directory.count("/get") == 1)
            let put = try h.request("PUT", "pub", "nope.png", headers: [("Content-Type", "image/png")], body: Self.data, signed: true)
            #expect(put.status == 201)
            let get = try h.request("GET", "pub", "nope.png")
            #expect(get.status == 200)
            #expect(get.body == Self.data)
        }
    }

    @Test func withoutAMissingTTLEveryRequestAsksTheDirectory() throws {
        try ProxyHarness.with(configure: { $0.missingFileTTL = .zero }) { h throws in
            for _ in 0..<3 { #expect(try h.request("GET", "pub", "nope.png").status == 404) }
            #expect(h.directory.count("/get") == 3)
        }
    }

    @Test func aMissingEntryExpires() throws {
        try ProxyHarness.with(configure: { $0.missingFileTTL = .milliseconds(200) }) { h throws in
            #expect(try h.request("GET", "pub", "late.png").status == 404)
            // Created through another proxy (straight in the directory and on the stores).
            h.seed("pub", "late.png", Self.data, key: 9)
            #expect(try h.request("GET", "pub", "late.png").status == 404)
            #expect(waitUntil(seconds: 10) { (try? h.request("GET", "pub", "late.png").status) == 200 })
        }
    }
}
