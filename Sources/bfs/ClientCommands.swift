import ArgumentParser
import BFSClient
import Foundation

/// Options every `bfs put|get|head|rm|ls` takes: where the proxy is and the bucket key.
struct ClientOptions: ParsableArguments {
    @Option(help: "Proxy URL (default: $BFS_ENDPOINT or \(ClientEndpoint.defaultURL)).") var endpoint: String?
    @Option(help: "Path prefix of the proxy's API.") var prefix: String = "/bfs/"
    @Option(help: "Bucket key id (default: $BFS_KEY_ID).") var keyId: String?
    @Option(help: "Bucket secret (default: $BFS_SECRET).") var secret: String?
    @Flag(help: "Draw a progress bar on stderr even when it is not a terminal.") var progress = false
    @Option(help: "Seconds one request (a whole upload or download) may take.") var timeout: UInt64 = 600

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func client() throws -> ProxyClient {
        let url = endpoint ?? environment["BFS_ENDPOINT"] ?? ClientEndpoint.defaultURL
        return try ProxyClient(endpoint: ClientEndpoint(url: url, prefix: prefix),
                               credentials: ClientCredentials.resolve(keyId: keyId, secret: secret, environment: environment),
                               timeoutSeconds: timeout)
    }

    /// Makes the progress bar for a transfer of a given size, when one is wanted.
    func progressBar(label: String) -> @Sendable (Int?) -> ProgressReporter? {
        let forced = progress
        let width = ProgressReporter.terminalWidth(environment: environment)
        return { total in
            guard ProgressReporter.isWanted(total: total, standardErrorIsTerminal: standardErrorIsTerminal(),
                                            forced: forced) else { return nil }
            return ProgressReporter(label: label, total: total, width: width)
        }
    }
}

struct PutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Upload a file; prints its URL and ETag.",
        discussion: "An empty NAME or one ending in '/' stores the file under its content's SHA-1.")
    @Argument(help: "The file to upload ('-' for standard input).") var file: String
    @Argument(help: "BUCKET/NAME.") var destination: String
    @Option(help: "Content-Type (default: guessed from the file's extension).") var contentType: String?
    @OptionGroup var options: ClientOptions

    func run() throws {
        let path = try ObjectPath(parsing: destination)
        let spool = file == "-" ? try StandardInputSpool(environment: options.environment) : nil
        defer { spool?.remove() }
        let type = contentType ?? ContentTypes.guess(forPath: file == "-" ? path.name : file)
        let bar = options.progressBar(label: path.isContentAddressed ? file : path.lastSegment)
        let result = try options.client().put(file: spool?.path ?? file, to: path, contentType: type,
                                              progress: { bar($0) })
        print(result.report)
    }
}

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Download a file (checked against its length and ETag).")
    @Argument(help: "BUCKET/NAME.") var source: String
    @Option(name: .shortAndLong, help: "Output file or directory ('-' for standard output; default: the NAME's last segment here).")
    var output: String?
    @OptionGroup var options: ClientOptions

    func run() throws {
        let path = try ObjectPath(parsing: source)
        try path.requireFile(source)
        _ = try options.client().get(path, to: .resolve(output: output, path: path),
                                     progress: options.progressBar(label: path.lastSegment))
    }
}

struct HeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head", abstract: "Print a file's size, type, ETag and Last-Modified.")
    @Argument(help: "BUCKET/NAME.") var source: String
    @OptionGroup var options: ClientOptions

    func run() throws {
        let path = try ObjectPath(parsing: source)
        try path.requireFile(source)
        print(try options.client().head(path).report)
    }
}

struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a file.")
    @Argument(help: "BUCKET/NAME.") var source: String
    @OptionGroup var options: ClientOptions

    func run() throws {
        let path = try ObjectPath(parsing: source)
        try path.requireFile(source)
        try options.client().delete(path)
    }
}

struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List a bucket's files: name, size, modification time (UTC) per line.")
    @Argument(help: "BUCKET[/PREFIX].") var source: String
    @Option(help: "Names per request (1...1000); every page is listed.") var limit: Int = 1000
    @OptionGroup var options: ClientOptions

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be 1...1000") }
    }

    func run() throws {
        let path = try ObjectPath(parsing: source)
        try options.client().listAll(bucket: path.bucket, prefix: path.name, limit: limit) { print($0.line) }
    }
}
