import BFSTestSupport
import Dispatch
import Glibc
@testable import BFSStorage

/// Blocking wrappers over the callback API for tests.
extension Volume {
    @discardableResult
    func appendAndWait(key: Int64, cookie: Int32, data: [UInt8]) throws(StorageError) -> NeedleLocation {
        try appendAndWait([NeedleInput(key: key, cookie: cookie, data: data)])[0]
    }

    @discardableResult
    func appendAndWait(_ needles: [NeedleInput]) throws(StorageError) -> [NeedleLocation] {
        let box = ResultBox<[NeedleLocation]>()
        append(needles) { box.set($0) }
        return try box.wait()
    }

    func deleteAndWait(key: Int64) throws(StorageError) {
        let box = ResultBox<Void>()
        delete(key: key) { box.set($0) }
        try box.wait()
    }

    /// The read result as a comparable value.
    func readOutcome(key: Int64, cookie: Int32) -> Result<[UInt8], StorageError> {
        Result { () throws(StorageError) -> [UInt8] in try read(key: key, cookie: cookie) }
    }
}

/// A one-shot result handed from the flusher thread to the test thread.
final class ResultBox<T>: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private var result: Result<T, StorageError>?

    func set(_ r: Result<T, StorageError>) {
        result = r
        semaphore.signal()
    }

    func wait() throws(StorageError) -> T {
        semaphore.wait()
        return try result!.get()
    }

    /// The result, or nil if none arrived within `seconds`.
    func wait(seconds: Double) -> Result<T, StorageError>? {
        guard semaphore.wait(timeout: .now() + seconds) == .success else { return nil }
        return result
    }
}

/// A one-way signal between test threads with bounded waits (a stuck interleaving fails the test
/// instead of hanging it).
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func open() { semaphore.signal() }

    /// Whether the gate opened within `seconds`.
    @discardableResult
    func wait(seconds: Double = 10) -> Bool { semaphore.wait(timeout: .now() + seconds) == .success }
}

/// Deterministic bytes for key `key` and version `version`.
func payload(_ key: Int64, _ version: Int, size: Int) -> [UInt8] {
    var x = UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(version)
    return (0..<size).map { _ in
        x = x &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: x >> 33)
    }
}

/// Makes a new empty volume and opens it.
func makeVolume(_ dir: TempDir, fs: FileSystem, id: Int32 = 1, settings: VolumeSettings = VolumeSettings()) throws -> Volume {
    let block = dir.file("\(id)_0"), index = dir.file("\(id)_0.idx")
    if !fs.exists(block) {
        try VolumeFiles.create(blockPath: block, indexPath: index, fileSystem: fs, preallocation: 0)
    }
    return try Volume(id: id, blockPath: block, indexPath: index, fileSystem: fs, settings: settings)
}

/// Reopens volume `id` of `dir`.
func reopen(_ dir: TempDir, fs: FileSystem, id: Int32 = 1, settings: VolumeSettings = VolumeSettings()) throws -> Volume {
    try Volume(id: id, blockPath: dir.file("\(id)_0"), indexPath: dir.file("\(id)_0.idx"), fileSystem: fs, settings: settings)
}

/// The bytes of a file.
func fileBytes(_ path: String) -> [UInt8] {
    (try? PosixFileSystem().readSmallFile(path)) ?? nil ?? []
}

/// Overwrites a file with `bytes`.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try PosixFileSystem().replaceAtomically(path, with: bytes)
}

/// Hex of `bytes`, for golden comparisons.
func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}
