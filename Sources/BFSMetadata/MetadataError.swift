/// Why a metadata call failed. One enum for the module, cases named after the condition.
public enum MetadataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A bucket with this name already exists.
    case bucketExists(String)
    /// Another bucket already uses this key id.
    case keyIDExists(String)
    /// No bucket with this name (or key id).
    case bucketNotFound(String)
    /// No file under this bucket and filename.
    case notFound(bucket: String, filename: String)
    /// The needle key is already allocated, live or tombstoned.
    case keyExists(Int64)
    /// The key has no pending allocation: unknown, already committed or already aborted.
    case allocationNotPending(Int64)
    /// The file under this name is not what the call's `FileExpectation` required.
    case expectationFailed(bucket: String, filename: String)
    /// The key has no delete tombstone (unknown or already confirmed).
    case tombstoneNotFound(Int64)
    /// An argument the database would accept but the contract does not (empty name, negative size).
    case invalidArgument(String)
    /// A concurrent transaction deadlocked with this call or would not serialize with it, and
    /// retrying within the batch did not help; the call changed nothing and may be repeated.
    case conflict(String)
    /// The bounded queue is full: the caller should answer "busy" rather than wait.
    case overloaded
    /// The store was closed.
    case closed
    /// The database holds a schema newer than this binary knows.
    case schemaTooNew(found: Int, known: Int)
    /// Any other database failure, with the backend's message.
    case backend(String)

    public var description: String {
        switch self {
        case .bucketExists(let name): "bucket \(name) exists"
        case .keyIDExists(let id): "key id \(id) is in use"
        case .bucketNotFound(let name): "bucket \(name) not found"
        case .notFound(let bucket, let filename): "file \(bucket)/\(filename) not found"
        case .keyExists(let key): "needle key \(key) exists"
        case .allocationNotPending(let key): "no pending allocation for key \(key)"
        case .expectationFailed(let bucket, let filename): "file \(bucket)/\(filename) is not as expected"
        case .tombstoneNotFound(let key): "no tombstone for key \(key)"
        case .invalidArgument(let why): "invalid argument: \(why)"
        case .conflict(let message): "concurrent transaction conflict: \(message)"
        case .overloaded: "metadata store overloaded"
        case .closed: "metadata store closed"
        case .schemaTooNew(let found, let known): "schema version \(found) is newer than \(known)"
        case .backend(let message): "metadata backend: \(message)"
        }
    }
}
