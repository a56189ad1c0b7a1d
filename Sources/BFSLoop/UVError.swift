import CUV

/// A libuv failure: the negative return code of a `uv_*` call, with libuv's name for it.
///
/// Every libuv return code goes through `uvCheck`, the one place codes become Swift errors.
public struct UVError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The negative libuv code (a negated errno on Unix, e.g. `-98` for `EADDRINUSE`).
    public let code: Int32
    /// The libuv call that failed, for the log line.
    public let operation: String

    /// The symbolic name, such as `EADDRINUSE`.
    public var name: String { String(cString: uv_err_name(code)) }

    /// libuv's human-readable message.
    public var message: String { String(cString: uv_strerror(code)) }

    public var description: String { "\(operation): \(name) (\(message))" }

    /// The errno value this code stands for on Unix (libuv codes are negated errnos).
    public var errno: Int32 { -code }

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }
}

/// Throws a `UVError` when a libuv call returned a negative code; returns the code otherwise.
@discardableResult
public func uvCheck(_ code: Int32, _ operation: @autoclosure () -> String) throws(UVError) -> Int32 {
    if code < 0 { throw UVError(code: code, operation: operation()) }
    return code
}
