import BFSCore

/// The `[coordination]` keys every service reads the same way (store, directory, pitchfork).
extension ConfigTable {
    /// `backend`: "zookeeper" or "embedded" (in-process, single node only).
    public func coordinationBackend(default value: String) throws(ConfigError) -> String {
        let backend = try string("backend", default: value)
        guard ["zookeeper", "embedded"].contains(backend) else {
            throw .badValue(key: "coordination.backend", reason: "'\(backend)' is neither \"zookeeper\" nor \"embedded\"")
        }
        return backend
    }

    /// `root`: the prefix of every znode, "" (the bfs layout at /) or a path that starts with
    /// '/' and does not end with one, so several clusters can share one ZooKeeper.
    public func coordinationRoot(default value: String) throws(ConfigError) -> String {
        let root = try string("root", default: value)
        if !root.isEmpty, !root.hasPrefix("/") || root.hasSuffix("/") {
            throw .badValue(key: "coordination.root", reason: "must start with '/' and not end with '/'")
        }
        return root
    }
}
