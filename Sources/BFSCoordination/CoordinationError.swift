import BFSCore

/// Why a coordination call failed, named after the condition (mirrors ZooKeeper's codes).
///
/// Paths in errors are the caller's paths (relative to the client's root).
public enum CoordinationError: Error, Equatable, Sendable, RetConvertible {
    /// The node does not exist (or, for create, its parent does not).
    case noNode(path: String)
    /// The node already exists (create).
    case nodeExists(path: String)
    /// A versioned set or delete lost a race.
    case badVersion(path: String)
    /// Delete of a node that still has children.
    case notEmpty(path: String)
    /// An ephemeral node cannot have children.
    case noChildrenForEphemerals(path: String)
    /// The path breaks the rules (absolute, no empty/"."/".." component, no trailing "/").
    case invalidPath(path: String)
    /// The session is not connected right now; the call may be retried.
    case connectionLoss
    /// The session expired; ephemerals are gone until re-created.
    case sessionExpired
    /// The call did not finish in time.
    case timeout
    /// The client was closed; nothing more will succeed.
    case closed
    /// Any other failure code of the backing service.
    case other(code: Int32, message: String)

    /// bfs answers every non-bfs error (ZooKeeper included) with 65535 (reference §1.9).
    public var ret: Ret { .internalError }
}
