/// The ephemeral nodes a client created, remembered so they can be re-created after its
/// session expires (the service deletes them with the session).
///
/// Keyed by the node's current path (caller's view). A sequential node is re-created from the
/// prefix it was requested with, so it comes back under a new counter and the caller learns the
/// new name from `SessionEvent.recovered(renamed:failed:)`. Data written with `set` through the
/// same client is tracked, so the node comes back with its latest data. Changes made by other
/// clients to these nodes are not seen.
struct EphemeralRegistry: Sendable {
    /// What it takes to create one ephemeral again.
    struct Record: Sendable, Equatable {
        /// The path given to create (the prefix, for sequential nodes).
        var requestedPath: String
        /// The latest data this client gave the node.
        var data: [UInt8]
        /// The create flags (always includes `.ephemeral`).
        var mode: CreateMode
    }

    private(set) var records: [String: Record] = [:]

    mutating func didCreate(_ path: String, requested: String, data: [UInt8], mode: CreateMode) {
        guard mode.contains(.ephemeral) else { return }
        records[path] = Record(requestedPath: requested, data: data, mode: mode)
    }

    mutating func didDelete(_ path: String) {
        records[path] = nil
    }

    mutating func didSet(_ path: String, data: [UInt8]) {
        records[path]?.data = data
    }

    /// The records in a stable order (parents before children does not arise: ephemerals have
    /// no children).
    var ordered: [(path: String, record: Record)] {
        records.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

/// Collects the outcome of re-creating a registry's ephemerals after an expiry.
struct EphemeralRecovery: Sendable {
    var registry = EphemeralRegistry()
    var renamed: [String: String] = [:]
    var failed: [String] = []

    /// Notes one re-created node (`newPath` nil when the create failed).
    mutating func note(old: String, record: EphemeralRegistry.Record, newPath: String?) {
        guard let newPath else {
            failed.append(old)
            return
        }
        registry.didCreate(newPath, requested: record.requestedPath, data: record.data, mode: record.mode)
        if newPath != old { renamed[old] = newPath }
    }

    var event: SessionEvent { .recovered(renamed: renamed, failed: failed.sorted()) }
}

extension EphemeralRegistry {
    /// Adds `other`'s records (they win on the same path).
    mutating func merge(_ other: EphemeralRegistry) {
        records.merge(other.records) { _, new in new }
    }
}
