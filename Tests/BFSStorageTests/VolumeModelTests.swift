import BFSTestSupport
import Glibc
import Testing
@testable import BFSStorage

/// A seeded random walk over appends, overwrites, deletes, batches, compactions, injected I/O
/// errors and crashes (unsynced bytes dropped, sometimes a torn last write), checked against an
/// in-memory model after every reopen: every acknowledged write reads back byte-identical, every
/// acknowledged delete stays deleted, and an unacknowledged operation is either wholly visible or
/// not at all. Set BFS_STORAGE_SEED to replay a run.
@Suite struct VolumeModelTests {
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    /// What a key may read as.
    enum Expected: Equatable {
        case live(cookie: Int32, data: [UInt8])
        case gone
    }

    @Test func randomOperationsAgainstAModel() throws {
        let seed = getenv("BFS_STORAGE_SEED").flatMap { UInt64(String(cString: $0)) } ?? UInt64(UInt32(truncatingIfNeeded: time(nil))) &* 2654435761
        print("VolumeModelTests seed: \(seed) (BFS_STORAGE_SEED=\(seed) to replay)")
        var rng = Rng(state: seed)
        let dir = TempDir("model")
        defer { dir.remove() }
        let fs = FaultInjectingFileSystem()
        func load() throws -> StoreVolumes {
            try StoreVolumes(fileSystem: fs, volumeListPath: dir.file("volume.idx"), freeListPath: dir.file("free_volume.idx"))
        }
        var store = try load()
        try store.addFreeVolumes(count: 1, blockDirectory: dir.path, indexDirectory: dir.path)
        var v = try store.addVolume(1)

        var model: [Int64: Expected] = [:]
        // Keys touched by an unacknowledged operation: the candidates they may read as.
        var uncertain: [Int64: [Expected]] = [:]
        var nextKey: Int64 = 1
        var version = 0
        var crashes = 0, compactions = 0, injected = 0

        /// Reads `key` with each candidate's cookie; returns the candidate it matches, or records an
        /// issue (a version nobody wrote, a checksum error, torn data...).
        func check(_ key: Int64, _ candidates: [Expected]) -> Expected? {
            var cookies = candidates.compactMap { if case .live(let c, _) = $0 { c } else { nil } }
            // No version uses Int32.min, so a live needle answers it with a cookie mismatch.
            if cookies.isEmpty { cookies = [Int32.min] }
            var sawOtherVersion = false
            for cookie in cookies {
                switch v.readOutcome(key: key, cookie: cookie) {
                case .success(let data):
                    let observed = Expected.live(cookie: cookie, data: data)
                    if candidates.contains(observed) { return observed }
                    Issue.record("key \(key): read data not among the candidates (seed \(seed))")
                    return nil
                case .failure(.needleDeleted), .failure(.needleNotFound):
                    continue
                case .failure(.cookieMismatch):
                    sawOtherVersion = true
                case .failure(let e):
                    Issue.record("key \(key): unexpected \(e) (seed \(seed))")
                    return nil
                }
            }
            if sawOtherVersion {
                Issue.record("key \(key): a version no candidate names is visible (seed \(seed))")
                return nil
            }
            if candidates.contains(.gone) { return .gone }
            Issue.record("key \(key): candidates \(candidates.count) not matched (seed \(seed))")
            return nil
        }

        func reopen(tear: Bool) throws {
            if tear, fs.hasUnsyncedWrites(v.blockPath) {
                fs.crash(tearing: (v.blockPath, rng.below(64)))
            } else {
                fs.crash()
            }
            crashes += 1
            fs.clearFailures()
            store.close()
            store = try load()
            #expect(store.failedVolumes.isEmpty, "seed \(seed)")
            v = store.volume(1)!
            for (key, candidates) in uncertain {
                if let seen = check(key, candidates) { model[key] = seen }
            }
            uncertain = [:]
            for (key, expected) in model { _ = check(key, [expected]) }
        }

        for step in 0..<3000 {
            let roll = rng.below(100)
            let existing: Int64? = model.keys.isEmpty ? nil : Array(model.keys)[rng.below(model.count)]
            if rng.below(40) == 0 {
                // An I/O error on the next sync or write: the operation is not acknowledged.
                injected += 1
                fs.failNext(rng.below(2) == 0 ? .sync : .write, errno: rng.below(2) == 0 ? EIO : ENOSPC)
            }
            do {
                switch roll {
                case 0..<45:
                    let key = (roll < 30 || existing == nil) ? nextKey : existing!
                    if key == nextKey { nextKey += 1 }
                    version += 1
                    let new = Expected.live(cookie: Int32(truncatingIfNeeded: version), data: payload(key, version, size: rng.below(3000)))
                    let before = model[key] ?? .gone
                    uncertain[key] = [before, new]
                    if case .live(let c, let d) = new { try v.appendAndWait(key: key, cookie: c, data: d) }
                    uncertain[key] = nil
                    model[key] = new
                case 45..<55:
                    var batch: [NeedleInput] = []
                    var keys: [Int64] = []
                    for _ in 0..<(1 + rng.below(5)) {
                        version += 1
                        batch.append(NeedleInput(key: nextKey, cookie: Int32(version), data: payload(nextKey, version, size: rng.below(500))))
                        keys.append(nextKey)
                        uncertain[nextKey] = [.gone, .live(cookie: Int32(version), data: batch.last!.data)]
                        nextKey += 1
                    }
                    try v.appendAndWait(batch)
                    for (k, n) in zip(keys, batch) {
                        uncertain[k] = nil
                        model[k] = .live(cookie: n.cookie, data: n.data)
                    }
                case 55..<75:
                    guard let key = existing, model[key] != .gone else { continue }
                    uncertain[key] = [model[key]!, .gone]
                    try v.deleteAndWait(key: key)
                    uncertain[key] = nil
                    model[key] = .gone
                case 75..<90:
                    if let key = existing { _ = check(key, [model[key]!]) }
                case 90..<94:
                    compactions += 1
                    let crashAt: CompactionStep? = rng.below(3) == 0 ? CompactionStep.allCases[rng.below(CompactionStep.allCases.count)] : nil
                    do {
                        try store.compactVolume(1) { (s: CompactionStep) throws(StorageError) in
                            if s == crashAt { throw .io(operation: "stop", errno: EIO) }
                        }
                    } catch {
                        try reopen(tear: false)
                    }
                default:
                    try reopen(tear: rng.below(2) == 0)
                }
            } catch {
                // Not acknowledged: a sync failure stops the volume, so restart as an operator would.
                if !uncertain.isEmpty || v.info.failed { try reopen(tear: rng.below(2) == 0) }
            }
            if step % 500 == 499 { try reopen(tear: false) }
        }
        try reopen(tear: false)
        print("VolumeModelTests: \(model.count) keys, \(crashes) crashes, \(compactions) compactions, \(injected) injected errors")
        store.close()
    }
}
