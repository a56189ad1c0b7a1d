import BFSTestSupport
import Glibc
import Testing
@testable import BFSClient

@Suite struct DownloadDestinationTests {
    let path = ObjectPath(bucket: "default", name: "albums/2026/cat.jpg")

    @Test func defaultIsTheLastSegmentHere() {
        #expect(DownloadDestination.resolve(output: nil, path: path) == .file("cat.jpg"))
    }

    @Test func dashIsStandardOutput() {
        #expect(DownloadDestination.resolve(output: "-", path: path) == .standardOutput)
    }

    @Test func anExistingDirectoryGetsTheLastSegmentInside() {
        let dir = TempDir("client-dest")
        defer { dir.remove() }
        #expect(DownloadDestination.resolve(output: dir.path, path: path) == .file(dir.path + "/cat.jpg"))
        #expect(DownloadDestination.resolve(output: dir.path + "/", path: path) == .file(dir.path + "/cat.jpg"))
    }

    @Test func anyOtherOutputIsTheFileItself() {
        let dir = TempDir("client-dest")
        defer { dir.remove() }
        #expect(DownloadDestination.resolve(output: dir.file("other.jpg"), path: path) == .file(dir.file("other.jpg")))
        #expect(DownloadDestination.resolve(output: dir.file("new/x.jpg"), path: path) == .file(dir.file("new/x.jpg")))
    }
}
