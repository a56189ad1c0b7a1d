/// Why a pitchfork operation failed, named after the condition.
public enum PitchforkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A store's `/info` answer could not be read as bfs `/info` JSON (carries why).
    case malformedInfo(String)
    /// The service could not start (carries why).
    case startupFailed(String)

    /// A one-line message for logs.
    public var description: String {
        switch self {
        case .malformedInfo(let why): return "malformed /info: \(why)"
        case .startupFailed(let why): return "pitchfork did not start: \(why)"
        }
    }
}
