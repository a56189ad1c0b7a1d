import BFSCore
import BFSStorage
import BFSTestSupport
import Foundation
import Glibc
import Testing
@testable import BFSStore

/// Admin parameters naming files stay inside the data directories and never reach a file the
/// store already uses; refusals come back at once, before anything is created (DESIGN.md §11).
@Suite struct AdminPathTests {
    /// A valid replica block and index inside the store's directory.
    func copiedVolume(_ store: AdminTestStore) throws -> (block: String, index: String) {
        let block = store.dir.file("copy_block"), index = store.dir.file("copy_block.idx")
        try VolumeFiles.create(blockPath: block, indexPath: index, fileSystem: PosixFileSystem(), preallocation: 0)
        return (block, index)
    }

    func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    @Test func bulkVolumeRefusesFilesOutsideTheDataDirectories() throws {
        let store = try AdminTestStore("paths-outside")
        defer { store.stop() }
        let outside = TempDir("paths-elsewhere")
        defer { outside.remove() }
        let copy = try copiedVolume(store)

        let passwd = try store.postJSON("/bulk_volume", ["vid": "3", "bfile": "/etc/passwd", "ifile": outside.file("x.idx")])
        #expect(passwd["ret"] as? Int == 65534)
        #expect(adminText(passwd["error"]) == "bfile must be inside a data directory")
        #expect(!exists(outside.file("x.idx")))

        let index = try store.postJSON("/bulk_volume", ["vid": "3", "bfile": copy.block, "ifile": outside.file("x.idx")])
        #expect(adminText(index["error"]) == "ifile must be inside a data directory")
        #expect(!exists(outside.file("x.idx")))

        // A symlink inside a data directory pointing out of it does not count as inside, nor
        // does `..` climbing out.
        #expect(symlink("/etc/passwd", store.dir.file("link")) == 0)
        let linked = try store.postJSON("/bulk_volume", ["vid": "3", "bfile": store.dir.file("link"), "ifile": copy.index])
        #expect(adminText(linked["error"]) == "bfile must be inside a data directory")
        let climbed = try store.postJSON("/bulk_volume", ["vid": "3", "bfile": copy.block, "ifile": store.dir.file("../x.idx")])
        #expect(adminText(climbed["error"]) == "ifile must be inside a data directory")
        #expect((try store.info()["loads"] as? [[String: Any]] ?? []).isEmpty)
        #expect(store.volumes.volume(3) == nil)
    }

    @Test func bulkVolumeChecksTheBlockBeforeCreatingTheIndex() throws {
        let store = try AdminTestStore("paths-block")
        defer { store.stop() }
        let text = store.dir.file("notes.txt")
        try Array("not a volume\n".utf8).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: text)) }
        let answer = try store.postJSON("/bulk_volume", ["vid": "3", "bfile": text, "ifile": store.dir.file("notes.idx")])
        #expect(answer["ret"] as? Int == Ret.superBlockMagic.rawValue)
        #expect(adminText(answer["error"]) == "bfile is not a bfs block file")
        #expect(!exists(store.dir.file("notes.idx")))
    }

    @Test func bulkVolumeRefusesFilesALiveVolumeOwns() throws {
        let store = try AdminTestStore("paths-owned")
        defer { store.stop() }
        try store.addVolume(1)
        let live = try #require(store.volumes.volume(1))
        try live.appendAndWait(key: 1, cookie: 1, data: [1, 2, 3])
        let copy = try copiedVolume(store)

        // The live block under a new vid: the two volumes would overwrite each other.
        let block = try store.postJSON("/bulk_volume", ["vid": "2", "bfile": live.blockPath, "ifile": store.dir.file("2.idx")])
        #expect(block["ret"] as? Int == Ret.storeFileExist.rawValue)
        #expect(adminText(block["error"]) == "bfile is a file the store already uses")
        // Another name for it (a hard link) is the same file.
        #expect(link(live.blockPath, store.dir.file("alias")) == 0)
        let alias = try store.postJSON("/bulk_volume", ["vid": "2", "bfile": store.dir.file("alias"), "ifile": store.dir.file("2.idx")])
        #expect(adminText(alias["error"]) == "bfile is a file the store already uses")
        // The live index as `ifile` would be truncated and rewritten.
        let index = try store.postJSON("/bulk_volume", ["vid": "2", "bfile": copy.block, "ifile": live.indexPath])
        #expect(adminText(index["error"]) == "ifile is a file the store already uses")
        // The list files are the store's too.
        let list = try store.postJSON("/bulk_volume", ["vid": "2", "bfile": copy.block, "ifile": store.context.settings.volumeIndex])
        #expect(adminText(list["error"]) == "ifile is a file the store already uses")
        #expect(!exists(store.dir.file("2.idx")))
        #expect(store.volumes.volume(2) == nil)
        #expect(try live.read(key: 1, cookie: 1) == [1, 2, 3])

        // A proper copy is still accepted.
        #expect(try store.postJSON("/bulk_volume", ["vid": "2", "bfile": copy.block, "ifile": copy.index])["ret"] as? Int == 1)
        #expect(try store.waitForJob("loads", id: 2)["state"] as? String == "done")
    }

    @Test func addFreeVolumeRefusesDirectoriesOutsideTheDataDirectories() throws {
        let store = try AdminTestStore("paths-free")
        defer { store.stop() }
        let outside = TempDir("paths-free-elsewhere")
        defer { outside.remove() }
        let inside = store.dir.file("data")
        let answer = try store.postJSON("/add_free_volume", ["n": "1", "bdir": outside.file("b"), "idir": inside])
        #expect(answer["ret"] as? Int == 65534)
        #expect(answer["succeed"] as? Int == 0)
        #expect(adminText(answer["error"]) == "bdir must be inside a data directory")
        let index = try store.postJSON("/add_free_volume", ["n": "1", "bdir": inside, "idir": outside.path])
        #expect(adminText(index["error"]) == "idir must be inside a data directory")
        #expect(!exists(outside.file("b")))
        #expect(!exists(outside.file("_free_block_1.idx")))
        #expect(store.volumes.freeCount == 0)
        // A directory the free list could not hold (it splits on commas and line breaks).
        let comma = try store.postJSON("/add_free_volume", ["n": "1", "bdir": inside + "/a,b", "idir": inside])
        #expect(comma["ret"] as? Int == 65534)
        #expect(adminText(comma["error"]) == "bdir cannot hold a comma or a line break")
        #expect(!exists(inside + "/a,b"))
    }
}
