/// The root prefix of a client: prepended to every path so several clusters share one service.
///
/// A root of "/bfs-cluster-a" maps the caller's "/rack/x" to "/bfs-cluster-a/rack/x" and back.
/// The empty root maps paths unchanged. Both implementations share this so their paths, errors
/// and watch events agree byte for byte.
struct CoordinationRoot: Sendable, Equatable {
    /// The prefix, "" or an absolute path without a trailing slash.
    let prefix: String

    /// Makes a root from "", "/", or an absolute path.
    init(_ root: String) throws(CoordinationError) {
        if root.isEmpty || root == "/" {
            prefix = ""
            return
        }
        try Self.validate(root)
        prefix = root
    }

    /// Maps a caller path to the service path. A sequential create may end in "/" (the parent's
    /// counter is then the whole name, as `/pitchfork/` gives `/pitchfork/0000000003`).
    func full(_ path: String, sequential: Bool = false) throws(CoordinationError) -> String {
        if sequential && path.hasSuffix("/") {
            try Self.validate(path + "0")
        } else {
            try Self.validate(path)
        }
        if prefix.isEmpty { return path }
        return path == "/" ? prefix : prefix + path
    }

    /// Maps a service path back to the caller's view ("/" for the root itself).
    func relative(_ fullPath: String) -> String {
        if prefix.isEmpty { return fullPath }
        if fullPath == prefix { return "/" }
        if fullPath.hasPrefix(prefix + "/") { return String(fullPath.dropFirst(prefix.count)) }
        return fullPath
    }

    /// Checks ZooKeeper's path rules: absolute, no empty, "." or ".." component, no trailing "/".
    static func validate(_ path: String) throws(CoordinationError) {
        guard path.first == "/" else { throw .invalidPath(path: path) }
        if path == "/" { return }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for part in parts where part.isEmpty || part == "." || part == ".." || part.contains("\0") {
            throw .invalidPath(path: path)
        }
    }

    /// Splits "/a/b/c" into its name and parent ("c", "/a/b"); the root has neither.
    static func split(_ path: String) -> (parent: String, name: String)? {
        guard path != "/", let slash = path.lastIndex(of: "/") else { return nil }
        let parent = slash == path.startIndex ? "/" : String(path[..<slash])
        return (parent, String(path[path.index(after: slash)...]))
    }

    /// Every ancestor-or-self of a service path, shortest first ("/a", "/a/b", "/a/b/c").
    static func prefixes(of path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            result.append(current)
        }
        return result
    }
}

/// Creates each of `paths` in order as a persistent empty node, treating "exists" as done.
///
/// Shared by both implementations' `ensurePath`; `create` takes a service (full) path.
func createEach(
    _ paths: ArraySlice<String>,
    create: @escaping @Sendable (String, @escaping CoordinationCompletion<String>) -> Void,
    completion: @escaping CoordinationCompletion<Void>
) {
    guard let first = paths.first else {
        completion(.success(()))
        return
    }
    create(first) { result in
        switch result {
        case .success, .failure(.nodeExists):
            createEach(paths.dropFirst(), create: create, completion: completion)
        case .failure(let error):
            completion(.failure(error))
        }
    }
}
