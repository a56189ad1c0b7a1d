import Testing
@testable import BFSProxy

@Suite struct ContentNameTests {
    /// `hashlib.sha1(b"hello").hexdigest()` in Python.
    static let helloSHA1 = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"

    @Test func sha1HexMatchesAnIndependentDigest() {
        #expect(ContentName.sha1Hex(Array("hello".utf8)) == Self.helloSHA1)
        #expect(ContentName.sha1Hex([UInt8]()) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test(arguments: [
        ("", "image/jpeg", "\(helloSHA1).jpg"),
        ("avatars/", "image/png", "avatars/\(helloSHA1).png"),
        ("a/b/", "image/svg+xml; charset=utf-8", "a/b/\(helloSHA1).svg"),
        ("", "IMAGE/WebP", "\(helloSHA1).webp"),
        ("", "image/vnd.microsoft.icon", "\(helloSHA1).vnd.microsoft.icon"),
        ("", nil, helloSHA1),
        ("", "image/*", helloSHA1),
        ("", "image", helloSHA1),
        ("", "image/x y", helloSHA1),
        ("x.jpg", "image/png", "x.jpg"),
        ("dir/x", nil, "dir/x"),
    ] as [(String, String?, String)])
    func resolve(filename: String, contentType: String?, expected: String) throws {
        #expect(try ContentName.resolve(filename, sha1: Self.helloSHA1, contentType: contentType) == expected)
    }

    @Test func contentAddressedOnlyForEmptyOrDirectoryNames() {
        #expect(ContentName.isContentAddressed(""))
        #expect(ContentName.isContentAddressed("a/"))
        #expect(!ContentName.isContentAddressed("a"))
        #expect(!ContentName.isContentAddressed("a/b"))
    }

    @Test func longNamesAreRefused() throws {
        let prefix = String(repeating: "p", count: 55) + "/"
        #expect(try ContentName.resolve(prefix, sha1: Self.helloSHA1, contentType: "image/gif").utf8.count == 100)
        #expect(throws: ProxyError.filenameTooLong(size: 101)) {
            try ContentName.resolve("p" + prefix, sha1: Self.helloSHA1, contentType: "image/gif")
        }
        #expect(throws: ProxyError.filenameTooLong(size: 101)) {
            try ContentName.resolve(String(repeating: "x", count: 101), sha1: Self.helloSHA1, contentType: nil)
        }
        #expect(ProxyError.filenameTooLong(size: 101).ret.rawValue == 413)
    }
}
