import BFSHTTP
@testable import BFSProxy
import BFSTestSupport
import Foundation
import Testing

/// RFC 9110 §13.2.1 preconditions on PUT and DELETE: `If-None-Match: *` creates only,
/// `If-Match` replaces or deletes only the version the client saw, `If-Unmodified-Since` likewise;
/// a false one is 412 and changes nothing.
@Suite(.serialized) struct ConditionalWriteTests {
    static let old: [UInt8] = Array("the old bytes".utf8)
    static let new: [UInt8] = Array("the new bytes".utf8)
    static let png = [("Content-Type", "image/png")]

    @Test func putIfNoneMatchStarCreatesOnly() throws {
        try ProxyHarness.with { h in
            h.seed("pub", "x.png", Self.old, key: 5)
            let refused = try h.request("PUT", "pub", "x.png", headers: Self.png + [("If-None-Match", "*")], body: Self.new, signed: true)
            #expect(refused.status == 412)
            #expect(refused.header("Code") == "412")
            #expect(h.directory.count("/allocate") == 0)
            #expect(try h.request("GET", "pub", "x.png").body == Self.old)
            // The refused body's budget was given back.
            #expect(try waitUntil { h.proxy.context?.budget.inUse == 0 })
            let created = try h.request("PUT", "pub", "y.png", headers: Self.png + [("If-None-Match", "*")], body: Self.new, signed: true)
            #expect(created.status == 201)
        }
    }

    @Test func putIfMatchReplacesOnlyTheVersionSeen() throws {
        try ProxyHarness.with { h in
            let sha1 = h.seed("pub", "x.png", Self.old, key: 5)
            for tag in ["\"other\"", "W/\"\(sha1)\""] {
                let stale = try h.request("PUT", "pub", "x.png", headers: Self.png + [("If-Match", tag)], body: Self.new, signed: true)
                #expect(stale.status == 412, "\(tag)")
            }
            #expect(h.directory.count("/allocate") == 0)
            let absent = try h.request("PUT", "pub", "nope.png", headers: Self.png + [("If-Match", "*")], body: Self.new, signed: true)
            #expect(absent.status == 412)
            let current = try h.request("PUT", "pub", "x.png", headers: Self.png + [("If-Match", "\"\(sha1)\"")], body: Self.new, signed: true)
            #expect(current.status == 200)
            #expect(try h.request("GET", "pub", "x.png").body == Self.new)
        }
    }

    @Test func putIfUnmodifiedSince() throws {
        try ProxyHarness.with { h in
            h.seed("pub", "x.png", Self.old, key: 5)  // modified Tue, 14 Nov 2023 22:13:20 GMT
            let earlier = try h.request("PUT", "pub", "x.png", headers: Self.png + [("If-Unmodified-Since", "Tue, 14 Nov 2023 22:13:19 GMT")],
                                        body: Self.new, signed: true)
            #expect(earlier.status == 412)
            let equal = try h.request("PUT", "pub", "x.png", headers: Self.png + [("If-Unmodified-Since", "Tue, 14 Nov 2023 22:13:20 GMT")],
                                      body: Self.new, signed: true)
            #expect(equal.status == 200)
        }
    }

    @Test func deleteIfMatch() throws {
        try ProxyHarness.with { h in
            let sha1 = h.seed("pub", "x.png", Self.old, key: 5)
            let stale = try h.request("DELETE", "pub", "x.png", headers: [("If-Match", "\"other\"")], signed: true)
            #expect(stale.status == 412)
            #expect(h.directory.count("/del") == 0)
            #expect(h.directory.files.get["pub/x.png"] != nil)
            let current = try h.request("DELETE", "pub", "x.png", headers: [("If-Match", "\"\(sha1)\"")], signed: true)
            #expect(current.status == 204)
            // A precondition on a file that is gone does not hide the 404.
            #expect(try h.request("DELETE", "pub", "x.png", headers: [("If-Match", "*")], signed: true).status == 404)
        }
    }

    @Test func checksReadTheDirectoryNotTheCache() throws {
        try ProxyHarness.with { h in
            h.seed("pub", "x.png", Self.old, key: 5)
            #expect(try h.request("GET", "pub", "x.png").status == 200)  // cached now
            let sha1 = h.seed("pub", "x.png", Self.new, key: 6)  // replaced through another proxy
            let put = try h.request("PUT", "pub", "x.png", headers: Self.png + [("If-Match", "\"\(sha1)\"")], body: Self.old, signed: true)
            #expect(put.status == 200)
            // And writes without preconditions cost no lookup.
            let lookups = h.directory.count("/get")
            #expect(try h.request("PUT", "pub", "z.png", headers: Self.png, body: Self.old, signed: true).status == 201)
            #expect(h.directory.count("/get") == lookups)
        }
    }
}
