import BFSTestSupport
import BFSStorage
import Foundation
import Glibc
import Testing
@testable import BFSStore

@Suite struct StoreScrubberTests {
    /// Bit rot in a needle the index already covers (so recovery never looks at it) is found by
    /// the scrubber and shows in the volume's damaged count.
    @Test func scrubberFindsRotThatRecoveryCannotSee() throws {
        let dir = TempDir("scrubber")
        defer { dir.remove() }
        var settings = StoreSettings()
        settings.dataDir = dir.file("data")
        settings.scrubRate = 64 << 20
        settings.scrubInterval = .milliseconds(100)
        let volumes = try StoreVolumes(fileSystem: PosixFileSystem(), volumeListPath: dir.file("volume.idx"),
                                       freeListPath: dir.file("free_volume.idx"))
        defer { volumes.close() }
        try volumes.addFreeVolumes(count: 1, blockDirectory: settings.dataDir, indexDirectory: settings.dataDir)
        let volume = try volumes.addVolume(1)
        for key in 1...3 { try volume.appendAndWait(key: Int64(key), cookie: 1, data: adminPayload(seed: UInt64(key), size: 1000)) }
        let context = StoreContext(settings: settings, volumes: volumes, events: AdminRecordingEvents())
        #expect(context.damagedCount(of: volume) == 0)

        // Flip a data byte of the second needle (block header 8 + first needle 1032 + its header 21).
        let fd = open(volume.blockPath, O_RDWR)
        var byte: UInt8 = 0
        pread(fd, &byte, 1, 8 + 1032 + 21 + 5)
        byte ^= 0x40
        pwrite(fd, &byte, 1, 8 + 1032 + 21 + 5)
        close(fd)

        let scrubber = StoreScrubber(context: context, logger: .init(label: "test"))
        scrubber.start()
        defer { scrubber.stop() }
        #expect(waitUntil { context.damagedCount(of: volume) != 0 })
        #expect(context.damagedCount(of: volume) == 1)
    }
}
