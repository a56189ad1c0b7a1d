/// Maps method + path to a handler: exact paths first, then the longest matching prefix.
///
/// HEAD requests fall back to the GET handler (the server drops the body bytes). A path that
/// exists with other methods is answered with 405 and `Allow`; an unknown path with 404.
/// Build the router before `HTTPServer.start`; it is immutable afterwards and shared by loops.
public struct HTTPRouter: Sendable {
    /// A request handler; runs on the connection's loop thread and must not block.
    public typealias Handler = @Sendable (HTTPServerExchange) -> Void

    private var exact: [String: [HTTPMethod: Handler]] = [:]
    private var prefixes: [(prefix: String, handlers: [HTTPMethod: Handler])] = []

    /// An empty router (everything is 404).
    public init() {}

    /// Routes `method` on exactly `path` (no query) to `handler`.
    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping Handler) {
        exact[path, default: [:]][method] = handler
    }

    /// Routes `method` on every path starting with `prefix` to `handler`.
    public mutating func addPrefix(_ method: HTTPMethod, _ prefix: String, _ handler: @escaping Handler) {
        if let i = prefixes.firstIndex(where: { $0.prefix == prefix }) {
            prefixes[i].handlers[method] = handler
        } else {
            prefixes.append((prefix, [method: handler]))
            prefixes.sort { $0.prefix.utf8.count > $1.prefix.utf8.count }
        }
    }

    /// The outcome of a lookup.
    public enum Resolution {
        /// The handler to run.
        case handler(Handler)
        /// The path exists, not for this method; the methods it has.
        case methodNotAllowed([HTTPMethod])
        /// No route for the path.
        case notFound
    }

    /// Finds the handler for a request.
    public func resolve(_ method: HTTPMethod, _ path: String) -> Resolution {
        let handlers: [HTTPMethod: Handler]
        if let h = exact[path] {
            handlers = h
        } else if let p = prefixes.first(where: { path.hasPrefix($0.prefix) }) {
            handlers = p.handlers
        } else {
            return .notFound
        }
        if let h = handlers[method] { return .handler(h) }
        if method == .head, let h = handlers[.get] { return .handler(h) }
        var allowed = Array(handlers.keys)
        if handlers[.get] != nil && handlers[.head] == nil { allowed.append(.head) }
        return .methodNotAllowed(allowed.sorted { $0.rawValue < $1.rawValue })
    }
}
