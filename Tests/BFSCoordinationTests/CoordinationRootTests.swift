@testable import BFSCoordination
import Testing

@Suite struct CoordinationRootTests {
    @Test func mapsPathsBothWays() throws {
        let root = try CoordinationRoot("/bfs-cluster-a")
        #expect(try root.full("/rack/r1") == "/bfs-cluster-a/rack/r1")
        #expect(try root.full("/") == "/bfs-cluster-a")
        #expect(root.relative("/bfs-cluster-a/rack/r1") == "/rack/r1")
        #expect(root.relative("/bfs-cluster-a") == "/")
        #expect(try CoordinationRoot("/").full("/rack") == "/rack")
        #expect(try CoordinationRoot("").relative("/rack") == "/rack")
    }

    @Test func rejectsBadPaths() throws {
        let root = try CoordinationRoot("")
        for bad in ["", "rack", "/rack/", "/a//b", "/a/./b", "/a/../b", "/a\0b"] {
            #expect(throws: CoordinationError.invalidPath(path: bad)) { try root.full(bad) }
        }
        #expect(throws: CoordinationError.invalidPath(path: "/x/")) { try CoordinationRoot("/x/") }
        // A sequential create names a prefix, which may end in "/".
        #expect(try root.full("/pitchfork/", sequential: true) == "/pitchfork/")
    }

    @Test func listsAncestorsShortestFirst() {
        #expect(CoordinationRoot.prefixes(of: "/a/b/c") == ["/a", "/a/b", "/a/b/c"])
        #expect(CoordinationRoot.prefixes(of: "/").isEmpty)
        #expect(CoordinationRoot.split("/a/b")! == (parent: "/a", name: "b"))
        #expect(CoordinationRoot.split("/a")! == (parent: "/", name: "a"))
    }
}
