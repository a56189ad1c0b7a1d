import Testing
@testable import BFSClient

@Suite struct ObjectPathTests {
    @Test(arguments: [
        ("default/cat.jpg", "default", "cat.jpg"),
        ("default/a/b/cat.jpg", "default", "a/b/cat.jpg"),
        ("default/avatars/", "default", "avatars/"),
        ("default/", "default", ""),
        ("default", "default", ""),
        ("/default/cat.jpg", "default", "cat.jpg"),
    ])
    func parses(text: String, bucket: String, name: String) throws {
        let path = try ObjectPath(parsing: text)
        #expect(path == ObjectPath(bucket: bucket, name: name))
    }

    @Test func contentAddressedNames() throws {
        #expect(try ObjectPath(parsing: "default/").isContentAddressed)
        #expect(try ObjectPath(parsing: "default/avatars/").isContentAddressed)
        #expect(try !ObjectPath(parsing: "default/cat.jpg").isContentAddressed)
    }

    @Test func emptyBucketIsRefused() {
        #expect(throws: ClientError.badPath("no bucket in \"//cat.jpg\"")) { try ObjectPath(parsing: "//cat.jpg") }
        #expect(throws: ClientError.self) { try ObjectPath(parsing: "") }
        #expect(throws: ClientError.self) { try ObjectPath(parsing: "/") }
    }

    @Test func getNeedsAFileName() throws {
        #expect(throws: ClientError.self) { try ObjectPath(parsing: "default/avatars/").requireFile("default/avatars/") }
        #expect(throws: ClientError.self) { try ObjectPath(parsing: "default").requireFile("default") }
        try ObjectPath(parsing: "default/a/cat.jpg").requireFile("default/a/cat.jpg")
    }

    @Test func lastSegmentIsTheDefaultOutputName() throws {
        #expect(try ObjectPath(parsing: "default/a/b/cat.jpg").lastSegment == "cat.jpg")
        #expect(try ObjectPath(parsing: "default/cat.jpg").lastSegment == "cat.jpg")
    }
}
