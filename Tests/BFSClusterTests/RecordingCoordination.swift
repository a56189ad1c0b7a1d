import BFSCoordination
import BFSTestSupport

/// A coordination client that counts the reads passing through and, while `dropsWatches` is
/// set, arms no watches: the lost events the periodic resync exists for.
final class RecordingCoordination: Coordination {
    let base: any Coordination
    /// Reads made so far ("get <path>", "children <path>", "exists <path>").
    let reads = Locked<[String]>([])
    let dropsWatches = Locked(false)

    init(_ base: any Coordination) { self.base = base }

    private func watch(_ handler: WatchHandler?) -> WatchHandler? { dropsWatches.get ? nil : handler }

    func create(_ path: String, data: [UInt8], mode: CreateMode, completion: @escaping CoordinationCompletion<String>) {
        base.create(path, data: data, mode: mode, completion: completion)
    }

    func get(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeData>) {
        reads.with { $0.append("get \(path)") }
        base.get(path, watch: self.watch(watch), completion: completion)
    }

    func set(_ path: String, data: [UInt8], version: Int32, completion: @escaping CoordinationCompletion<NodeStat>) {
        base.set(path, data: data, version: version, completion: completion)
    }

    func delete(_ path: String, version: Int32, completion: @escaping CoordinationCompletion<Void>) {
        base.delete(path, version: version, completion: completion)
    }

    func exists(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<NodeStat?>) {
        reads.with { $0.append("exists \(path)") }
        base.exists(path, watch: self.watch(watch), completion: completion)
    }

    func children(_ path: String, watch: WatchHandler?, completion: @escaping CoordinationCompletion<[String]>) {
        reads.with { $0.append("children \(path)") }
        base.children(path, watch: self.watch(watch), completion: completion)
    }

    func ensurePath(_ path: String, completion: @escaping CoordinationCompletion<Void>) {
        base.ensurePath(path, completion: completion)
    }

    func addSessionListener(_ listener: @escaping SessionListener) { base.addSessionListener(listener) }

    func close(completion: (@Sendable () -> Void)?) { base.close(completion: completion) }
}
