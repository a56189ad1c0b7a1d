/// Where a service's coordination tree lives: one choice shared by every service, so `bfs up`
/// can hand the same in-process tree to all of its components.
public enum CoordinationChoice: Sendable {
    /// A real ZooKeeper ensemble (`hosts` as "h1:p1,h2:p2").
    case zookeeper(hosts: String)
    /// An in-process tree shared with the other components of `bfs up` (and tests).
    case embedded(EmbeddedTree)

    /// A client of the chosen tree under `root`; events run through `executor`.
    public func connect(root: String, sessionTimeout: Duration,
                        executor: @escaping CoordinationExecutor) throws(CoordinationError) -> any Coordination {
        switch self {
        case .zookeeper(let hosts):
            try ZooKeeperCoordination(hosts: hosts, root: root, sessionTimeout: sessionTimeout, executor: executor)
        case .embedded(let tree):
            try EmbeddedCoordination(tree: tree, root: root, executor: executor)
        }
    }
}
