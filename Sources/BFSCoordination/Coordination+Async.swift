/// Swift-concurrency wrappers over the callback API, for tests and simple callers.
///
/// They suspend the calling task, never a thread. Watches keep their callback form: a watch
/// may fire long after the call returns, and it still runs through the client's executor.
extension Coordination {
    /// Creates a node; answers its actual path.
    public func create(_ path: String, data: [UInt8] = [], mode: CreateMode = .persistent) async throws(CoordinationError) -> String {
        try await awaitResult { create(path, data: data, mode: mode, completion: $0) }
    }

    /// Reads a node's data and stat, optionally arming a one-shot data watch.
    public func get(_ path: String, watch: WatchHandler? = nil) async throws(CoordinationError) -> NodeData {
        try await awaitResult { get(path, watch: watch, completion: $0) }
    }

    /// Writes a node's data if its version matches (-1 matches any); answers the new stat.
    @discardableResult
    public func set(_ path: String, data: [UInt8], version: Int32 = -1) async throws(CoordinationError) -> NodeStat {
        try await awaitResult { set(path, data: data, version: version, completion: $0) }
    }

    /// Deletes a childless node if its version matches (-1 matches any).
    public func delete(_ path: String, version: Int32 = -1) async throws(CoordinationError) {
        try await awaitResult { delete(path, version: version, completion: $0) }
    }

    /// Answers the node's stat or nil, optionally arming a one-shot watch.
    public func exists(_ path: String, watch: WatchHandler? = nil) async throws(CoordinationError) -> NodeStat? {
        try await awaitResult { exists(path, watch: watch, completion: $0) }
    }

    /// Lists a node's child names, sorted, optionally arming a one-shot child watch.
    public func children(_ path: String, watch: WatchHandler? = nil) async throws(CoordinationError) -> [String] {
        try await awaitResult { children(path, watch: watch, completion: $0) }.sorted()
    }

    /// Creates the node and its missing ancestors as persistent empty nodes.
    public func ensurePath(_ path: String) async throws(CoordinationError) {
        try await awaitResult { ensurePath(path, completion: $0) }
    }

    /// Ends the session and waits until it is closed.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            close { continuation.resume() }
        }
    }
}

/// Bridges one completion-style call to async/await with a typed error.
private func awaitResult<T: Sendable>(
    _ start: (@escaping CoordinationCompletion<T>) -> Void
) async throws(CoordinationError) -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, CoordinationError>, Never>) in
        start { continuation.resume(returning: $0) }
    }
    return try result.get()
}
