@testable import BFSMetadata
import Testing

/// The schema the migrations produce, pinned column by column on both backends.
@Suite(.postgresServer) struct MetadataSchemaTests {
    /// Golden: every table.column after the last migration, in declaration order. A change here
    /// means a shipped migration was edited; add a new migration instead.
    static let golden = [
        "allocations.key", "allocations.needle_state", "allocations.bucket", "allocations.filename", "allocations.mime",
        "allocations.expires_at",
        "buckets.name", "buckets.flags", "buckets.key_id", "buckets.secret", "buckets.domain", "buckets.cache_policy",
        "files.bucket", "files.filename", "files.key", "files.needle_state", "files.sha1", "files.mime", "files.size",
        "files.mtime",
        "needles.key", "needles.vid", "needles.cookie", "needles.state", "needles.created_at",
        "schema_migrations.version",
        "tombstones.key", "tombstones.needle_state", "tombstones.attempts", "tombstones.next_attempt_at",
    ]

    @Test(arguments: Backend.allCases)
    func migrationsProduceTheGoldenColumns(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            _ = try fixture.store()
            let connection = try fixture.connection()
            defer { connection.close() }
            let sql = switch backend {
            case .sqlite: """
                SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                WHERE m.type = 'table' ORDER BY m.name, p.cid
                """
            case .postgres: """
                SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = 'public' ORDER BY table_name, ordinal_position
                """
            }
            let columns = try connection.rows(sql).map { "\($0[0].text ?? "").\($0[1].text ?? "")" }
            #expect(columns == Self.golden)
            #expect(try connection.rows("SELECT version FROM schema_migrations").compactMap { $0.first?.int } == [1])
        }
    }

    @Test(arguments: Backend.allCases)
    func reopeningMigratesNothingAndANewerSchemaIsRefused(_ backend: Backend) async throws {
        try await MetadataFixture.with(backend) { fixture in
            let first = try fixture.store()
            _ = try await first.createBucket(NewBucket(name: "kept"))
            // A second directory starting on the same database finds the schema current.
            let second = try fixture.store()
            #expect(try await second.bucket(named: "kept").name == "kept")

            let connection = try fixture.connection()
            defer { connection.close() }
            _ = try connection.change("INSERT INTO schema_migrations (version) VALUES (99)")
            #expect(throws: MetadataError.schemaTooNew(found: 99, known: MetadataSchema.latestVersion)) { _ = try fixture.store() }
        }
    }
}
