/// An HTTP request method token, compared exactly (methods are case-sensitive, RFC 9110 §9.1).
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The token as sent, e.g. `GET`.
    public let rawValue: String

    /// Wraps a method token.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The token, for logs.
    public var description: String { rawValue }

    /// GET
    public static let get = HTTPMethod(rawValue: "GET")
    /// HEAD: like GET, but the answer carries no body bytes.
    public static let head = HTTPMethod(rawValue: "HEAD")
    /// POST
    public static let post = HTTPMethod(rawValue: "POST")
    /// PUT
    public static let put = HTTPMethod(rawValue: "PUT")
    /// DELETE
    public static let delete = HTTPMethod(rawValue: "DELETE")
    /// OPTIONS
    public static let options = HTTPMethod(rawValue: "OPTIONS")
    /// PATCH
    public static let patch = HTTPMethod(rawValue: "PATCH")
}
