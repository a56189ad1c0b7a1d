import Testing
@testable import BFSClient

@Suite struct EndpointTests {
    @Test(arguments: [
        ("http://127.0.0.1:2232", "127.0.0.1", 2232),
        ("http://127.0.0.1:2232/", "127.0.0.1", 2232),
        ("http://img.example.com", "img.example.com", 80),
        ("localhost:8080", "localhost", 8080),
        ("http://[::1]:2232", "::1", 2232),
    ])
    func parses(url: String, host: String, port: Int) throws {
        let endpoint = try ClientEndpoint(url: url)
        #expect(endpoint.host == host)
        #expect(endpoint.port == port)
        #expect(endpoint.prefix == "/bfs/")
    }

    @Test(arguments: ["https://a:1", "http://", "http://a:0", "http://a:x", "http://a:1/path", "localhost"])
    func refusesBadEndpoints(url: String) {
        #expect(throws: ClientError.badEndpoint(url)) { try ClientEndpoint(url: url) }
    }

    @Test func prefixesAreNormalised() {
        #expect(ClientEndpoint.normalisedPrefix("bfs") == "/bfs/")
        #expect(ClientEndpoint.normalisedPrefix("/bfs") == "/bfs/")
        #expect(ClientEndpoint.normalisedPrefix("/a/b/") == "/a/b/")
        #expect(ClientEndpoint.normalisedPrefix("") == "/")
        #expect(ClientEndpoint.normalisedPrefix("/") == "/")
    }

    @Test func targetsEncodeWhatAPathCannotCarry() throws {
        let endpoint = try ClientEndpoint(url: "http://127.0.0.1:2232")
        #expect(endpoint.target(ObjectPath(bucket: "default", name: "a/cat.jpg")) == "/bfs/default/a/cat.jpg")
        #expect(endpoint.target(ObjectPath(bucket: "default", name: "a b?#%.jpg")) == "/bfs/default/a%20b%3F%23%25.jpg")
        #expect(endpoint.target(ObjectPath(bucket: "default", name: "é")) == "/bfs/default/%C3%A9")
        #expect(endpoint.target(ObjectPath(bucket: "default", name: "")) == "/bfs/default/")
        #expect(endpoint.url(ObjectPath(bucket: "default", name: "x")) == "http://127.0.0.1:2232/bfs/default/x")
        let bare = try ClientEndpoint(url: "http://127.0.0.1:2232", prefix: "")
        #expect(bare.target(ObjectPath(bucket: "default", name: "x")) == "/default/x")
    }

    @Test func listTargets() throws {
        let endpoint = try ClientEndpoint(url: "http://127.0.0.1:2232")
        #expect(endpoint.listTarget(bucket: "default", prefix: "", after: nil, limit: 1000)
            == "/bfs/default/?list&limit=1000")
        #expect(endpoint.listTarget(bucket: "default", prefix: "a/b&c", after: "a/b&c 1", limit: 2)
            == "/bfs/default/?list&prefix=a%2Fb%26c&after=a%2Fb%26c%201&limit=2")
    }
}
