import BFSTestSupport
import Dispatch
import Glibc
import Synchronization
import Testing
@testable import BFSStorage

/// The fault layer lets I/O overlap as production does while crashes stay exact.
@Suite struct FaultLayerTests {
    /// A sync held inside the fault layer does not hold up a write and sync of another file, nor
    /// a second, overlapping sync of the same file.
    @Test func otherCallsProceedWhileASyncIsInside() throws {
        let dir = TempDir("fault-overlap")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let a = try fs.open(dir.file("a"), create: true), a2 = try fs.open(dir.file("a"), create: false)
        let b = try fs.open(dir.file("b"), create: true)
        defer { a.close(); a2.close(); b.close() }
        try fs.syncDirectory(dir.path)
        try [UInt8](repeating: 1, count: 64).withUnsafeBytes { try a.write($0, at: 0) }
        let inside = Gate(), release = Gate(), firstDone = Gate(), othersDone = Gate()
        let held = Mutex(false)
        fs.observe { e in
            guard e.operation == .sync, e.stage == .inside, e.path == dir.file("a"),
                  held.withLock({ h in defer { h = true }; return !h }) else { return }
            inside.open()
            release.wait()
        }
        DispatchQueue.global().async {
            try? a.sync()
            firstDone.open()
        }
        #expect(inside.wait())
        let others = Mutex<Result<Void, StorageError>?>(nil)
        DispatchQueue.global().async {
            let r = Result { () throws(StorageError) in
                try [UInt8](repeating: 2, count: 64).withUnsafeBytes { b2 in
                    Result { () throws(StorageError) in try b.write(b2, at: 0) }
                }.get()
                try b.sync()
                try a2.sync()
            }
            others.withLock { $0 = r }
            othersDone.open()
        }
        let overlapped = othersDone.wait(seconds: 5)
        release.open()
        #expect(firstDone.wait())
        fs.observe(nil)
        #expect(overlapped, "calls waited for a sync of another file description")
        if overlapped { #expect((try? others.withLock { $0 }?.get()) != nil) }
        fs.crash()
        #expect(fileBytes(dir.file("a")) == [UInt8](repeating: 1, count: 64))
        #expect(fileBytes(dir.file("b")) == [UInt8](repeating: 2, count: 64))
    }

    /// Threads write and sync their own files concurrently until a crash: afterwards each file
    /// holds exactly what it held at its thread's last successful sync.
    @Test func crashDuringConcurrentSyncsKeepsExactlyTheSyncedBytes() throws {
        let seed = SeededGenerator.printedSeed("crashDuringConcurrentSyncsKeepsExactlyTheSyncedBytes")
        let dir = TempDir("fault-concurrent")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        let threads = 4
        let durable = Mutex<[[UInt8]]>(Array(repeating: [], count: threads))
        let syncs = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let files = try (0..<threads).map { t in try fs.open(dir.file("f\(t)"), create: true) }
        try fs.syncDirectory(dir.path)
        for (t, file) in files.enumerated() {
            DispatchQueue.global().async {
                var rng = SeededGenerator(seed: seed &+ UInt64(t))
                var model: [UInt8] = []
                loop: while true {
                    for _ in 0..<Int(rng.next() % 4 + 1) {
                        let offset = Int(rng.next() % 8192), length = Int(rng.next() % 512 + 1)
                        let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                        let wrote = bytes.withUnsafeBytes { b in (try? file.write(b, at: Int64(offset))) != nil }
                        guard wrote else { break loop }
                        if model.count < offset + length { model += [UInt8](repeating: 0, count: offset + length - model.count) }
                        model.replaceSubrange(offset..<(offset + length), with: bytes)
                    }
                    guard (try? file.sync()) != nil else { break }
                    let snapshot = model
                    durable.withLock { $0[t] = snapshot }
                    syncs.add(1, ordering: .relaxed)
                }
                file.close()
                finished.add(1, ordering: .relaxed)
            }
        }
        #expect(waitUntil { syncs.load(ordering: .relaxed) >= 40 + Int(seed % 40) }, "seed \(seed)")
        fs.crash()
        #expect(waitUntil { finished.load(ordering: .relaxed) == threads }, "seed \(seed)")
        for t in 0..<threads {
            let exact = fileBytes(dir.file("f\(t)")) == durable.withLock { $0[t] }
            #expect(exact, "seed \(seed), file \(t): content differs from its last synced state")
        }
    }
}
