@testable import BFSMetadata
import BFSCore
import BFSTestSupport
import Foundation
import Synchronization
import Testing

/// Which implementation a behavioural test runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// One test's database on one backend: a temp SQLite file or a fresh PostgreSQL database.
/// Every store opened on it shares it, as several directories share one database.
final class MetadataFixture: Sendable {
    let backend: Backend
    private let temp = TempDir("meta")
    private let database: String?
    private let server: PostgresServer?
    private let stores = Mutex<[SQLMetadataStore]>([])

    private init(backend: Backend) async throws {
        self.backend = backend
        if backend == .postgres {
            let server = try PostgresServer.shared()
            self.server = server
            database = try await server.createDatabase()
        } else {
            server = nil
            database = nil
        }
    }

    /// Runs `body` with a fixture, then closes every store and removes the temp directory.
    static func with(_ backend: Backend, _ body: (MetadataFixture) async throws -> Void) async throws {
        let fixture = try await MetadataFixture(backend: backend)
        do {
            try await body(fixture)
        } catch {
            await fixture.closeAll()
            throw error
        }
        await fixture.closeAll()
    }

    /// A new store on the fixture's database (a second call is a second directory).
    func store(limits: SQLMetadataStore.Limits = .init()) throws -> SQLMetadataStore {
        let store: SQLMetadataStore
        switch backend {
        case .sqlite: store = try SQLMetadataStore.sqlite(path: temp.file("metadata.db"), limits: limits)
        case .postgres: store = try SQLMetadataStore.postgres(conninfo: server!.conninfo(database: database!), limits: limits)
        }
        stores.withLock { $0.append(store) }
        return store
    }

    /// A raw connection to the fixture's database (schema checks, constraint probes).
    func connection() throws -> SQLConnection {
        switch backend {
        case .sqlite: try SQLiteConnection(path: temp.file("metadata.db"))
        case .postgres: try PostgresConnection(conninfo: server!.conninfo(database: database!))
        }
    }

    func closeAll() async {
        for store in stores.withLock({ $0 }) { await store.close() }
        temp.remove()
    }
}

/// Test data builders.
enum Sample {
    static let hour: UnixNanos = 3_600_000_000_000

    static func needle(_ key: NeedleKey, vid: VolumeID = 1) -> NeedleLocation {
        NeedleLocation(key: key, vid: vid, cookie: Cookie(truncatingIfNeeded: key &* 7919 | 1))
    }

    static func allocation(_ key: NeedleKey, bucket: String = "b", filename: String, expiresAt: UnixNanos = SQLMetadataStore.now() + hour) -> Allocation {
        Allocation(bucket: bucket, filename: filename, needle: needle(key), mime: "image/png", expiresAt: expiresAt)
    }

    static func commit(_ key: NeedleKey, size: Int64 = 10) -> FileCommit {
        FileCommit(key: key, sha1: String(repeating: "a", count: 40), size: size, mtime: 1_700_000_000_000_000_000)
    }

    static func entry(_ key: NeedleKey, bucket: String = "b", filename: String, sha1: String = "s1", mime: String = "image/jpeg") -> FileEntry {
        FileEntry(bucket: bucket, filename: filename, needle: needle(key), sha1: sha1, mime: mime, size: 5, mtime: 42)
    }
}
