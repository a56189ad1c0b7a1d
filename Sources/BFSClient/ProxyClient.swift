import BFSHTTP
import BFSLoop
import Glibc

/// A blocking client of the proxy's public API (`PUT/GET/HEAD/DELETE <prefix><bucket>/<name>`
/// and the bucket listing), what `bfs put|get|head|rm|ls` run.
///
/// Each call runs its request on a private loop and waits; call it from a plain thread (a
/// command line), never from a loop. Requests are signed with the bucket key when one is
/// given; without one, GET and HEAD go unsigned (public-read buckets) and the others refuse.
/// Uploads stream from the file and downloads stream to their destination, so neither holds a
/// large file in memory. Every failure is a ``ClientError`` whose description says what to do.
public final class ProxyClient: Sendable {
    /// Where the proxy is.
    public let endpoint: ClientEndpoint
    /// The bucket key, if any.
    public let credentials: ClientCredentials?
    private let group: EventLoopGroup
    private let client: HTTPClient
    private let now: @Sendable () -> Int64

    /// Error bodies and listings are read whole up to this size.
    static let maxGatheredSize = 16 << 20

    /// A client of the proxy at `endpoint`.
    ///
    /// - Parameters:
    ///   - timeoutSeconds: the longest one request (a whole upload or download) may take.
    ///   - now: Unix seconds for token times (injected by tests).
    public init(endpoint: ClientEndpoint, credentials: ClientCredentials?, timeoutSeconds: UInt64 = 600,
                now: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }) throws(ClientError)
    {
        self.endpoint = endpoint
        self.credentials = credentials
        self.now = now
        do {
            group = try EventLoopGroup(loopCount: 1, name: "bfs-client")
        } catch {
            throw .unreachable(endpoint: endpoint.text, reason: "cannot start an event loop: \(error)")
        }
        client = HTTPClient(loop: group.loops[0],
                            configuration: .init(connectTimeout: 10_000, requestTimeout: timeoutSeconds * 1000))
    }

    deinit { group.shutdown() }

    /// Uploads the file at `file` to `path` (a content-addressed name when the name is empty
    /// or ends in `/`).
    ///
    /// - Parameter progress: makes the reporter for a body of the given size, or nil for none.
    public func put(file: String, to path: ObjectPath, contentType: String,
                    progress: (Int) -> ProgressReporter? = { _ in nil }) throws(ClientError) -> PutResult
    {
        let authorization = try signature("PUT", path, required: "put")
        let source = try FileBodySource(path: file, progress: progress)
        defer { source.progress?.finish() }
        var headers = [FormFields.Pair(name: "Content-Type", value: contentType)]
        if let authorization { headers.append(.init(name: "Authorization", value: authorization)) }
        let request = HTTPClientRequest(method: "PUT", host: endpoint.host, port: endpoint.port,
                                        target: endpoint.target(path), headers: headers, bodySource: source)
        let answer = try send(request, path: path, signed: authorization != nil)
        guard answer.head.status == .created || answer.head.status == .ok else {
            throw unexpected(answer)
        }
        let location = answer.head.header("location").map(absolute) ?? endpoint.url(path)
        let etag = answer.head.header("etag") ?? ""
        // The proxy hashed what it received: a different SHA-1 means the bytes changed on the way.
        if let stored = ObjectInfo.sha1(etag: etag), stored != source.sha1 {
            throw .uploadMismatch(sent: source.sha1, stored: stored)
        }
        return PutResult(status: answer.head.status.code, location: location, etag: etag)
    }

    /// The file's size, type, ETag and Last-Modified (`HEAD`).
    public func head(_ path: ObjectPath) throws(ClientError) -> ObjectInfo {
        let authorization = try signature("HEAD", path, required: nil)
        let answer = try send(request("HEAD", path, authorization), path: path, signed: authorization != nil)
        guard answer.head.status == .ok else { throw unexpected(answer) }
        return try info(answer.head)
    }

    /// Downloads the file to `destination`, checking its length and its SHA-1 against the
    /// ETag; a file destination appears under its name only when complete and checked.
    ///
    /// - Parameter progress: makes the reporter once the body's size is known (nil: unknown);
    ///   called on the client's loop thread.
    public func get(_ path: ObjectPath, to destination: DownloadDestination,
                    progress: @escaping @Sendable (Int?) -> ProgressReporter? = { _ in nil }) throws(ClientError) -> ObjectInfo
    {
        let authorization = try signature("GET", path, required: nil)
        let sink = try DownloadSink(destination: destination, makeProgress: progress)
        defer { sink.close() }
        let answer = try send(request("GET", path, authorization), path: path, signed: authorization != nil, sink: sink)
        guard answer.head.status == .ok else { throw unexpected(answer) }
        let got = try info(answer.head)
        try sink.finish(expectedLength: got.size, sha1: got.sha1)
        return got
    }

    /// Deletes the file (`DELETE`; 404 when it does not exist).
    public func delete(_ path: ObjectPath) throws(ClientError) {
        let authorization = try signature("DELETE", path, required: "rm")
        let answer = try send(request("DELETE", path, authorization), path: path, signed: true)
        guard answer.head.status == .noContent || answer.head.status == .ok else { throw unexpected(answer) }
    }

    /// One page of the bucket's files whose names start with `prefix`, after `after`.
    public func list(bucket: String, prefix: String, after: String?, limit: Int) throws(ClientError) -> ListPage {
        let path = ObjectPath(bucket: bucket, name: "")
        // A listing always needs the key; it is signed as a GET of the empty filename.
        guard let authorization = try signature("GET", path, required: "ls") else { throw .credentialsNeeded("ls") }
        let target = endpoint.listTarget(bucket: bucket, prefix: prefix, after: after, limit: limit)
        let request = HTTPClientRequest(method: "GET", host: endpoint.host, port: endpoint.port, target: target,
                                        headers: [.init(name: "Authorization", value: authorization)])
        let answer = try send(request, path: path, signed: true)
        guard answer.head.status == .ok else { throw unexpected(answer) }
        return try ListPage(json: answer.body)
    }

    /// Every page of a listing, `limit` names per request, handing each file to `each` in order.
    public func listAll(bucket: String, prefix: String, limit: Int, _ each: (ListPage.File) -> Void) throws(ClientError) {
        var after: String? = nil
        repeat {
            let page = try list(bucket: bucket, prefix: prefix, after: after, limit: limit)
            page.files.forEach(each)
            guard let next = page.next else { return }
            guard next != after else { throw .badResponse("listing does not advance past \"\(next)\"") }
            after = next
        } while true
    }

    // MARK: requests

    /// The `Authorization` value for `method` on `path`, nil when unsigned; throws when the
    /// operation named by `required` needs a key and there is none.
    private func signature(_ method: String, _ path: ObjectPath, required: String?) throws(ClientError) -> String? {
        guard let credentials else {
            if let required { throw .credentialsNeeded(required) }
            return nil
        }
        return credentials.authorization(method: method, bucket: path.bucket, filename: path.name, now: now())
    }

    private func request(_ method: String, _ path: ObjectPath, _ authorization: String?) -> HTTPClientRequest {
        let headers = authorization.map { [FormFields.Pair(name: "Authorization", value: $0)] } ?? []
        return HTTPClientRequest(method: method, host: endpoint.host, port: endpoint.port,
                                 target: endpoint.target(path), headers: headers)
    }

    /// A finished exchange: the head, and the body when it was gathered (not streamed to a sink).
    struct Answer {
        var head: HTTPClientResponseHead
        var body: [UInt8]
        var path: ObjectPath
        var signed: Bool
    }

    /// Sends `request` and waits. A 200 or 206 body goes to `sink` when given; any other body
    /// is gathered (an error's reason, a listing).
    private func send(_ request: HTTPClientRequest, path: ObjectPath, signed: Bool,
                      sink: DownloadSink? = nil) throws(ClientError) -> Answer
    {
        final class State: @unchecked Sendable {
            var toSink = false
            var expectedLength: Int?
            var body: [UInt8] = []
        }
        let state = State()
        let done = Completion<Result<HTTPClientResponseHead, HTTPClientError>>()
        let client = self.client
        let loop = group.loops[0]
        let queued = loop.execute {
            let task = client.execute(request, onHead: { head in
                state.toSink = sink != nil && (head.status == .ok || head.status == .partialContent)
                state.expectedLength = head.header("content-length").flatMap(Int.init)
                if state.toSink { sink?.begin(expectedLength: state.expectedLength) }
            }, onBody: { bytes throws(HTTPClientError) in
                if state.toSink, let sink { return try sink.accept(bytes, on: loop) }
                guard state.body.count + bytes.count <= Self.maxGatheredSize else {
                    throw .responseBodyTooLarge(limit: Self.maxGatheredSize)
                }
                state.body.append(contentsOf: bytes)
            }, completion: { done.fulfill($0) })
            sink?.task = task
        }
        guard queued else { throw .unreachable(endpoint: endpoint.text, reason: "the client's event loop stopped") }
        switch done.wait() {
        case .success(let head):
            return Answer(head: head, body: state.toSink ? [] : state.body, path: path, signed: signed)
        case .failure(let error):
            // A download the client itself ended (a full disk, a closed pipe) says so.
            if state.toSink, let failure = sink?.writeFailure() { throw failure }
            throw explain(error, sink: state.toSink ? sink : nil, expectedLength: state.expectedLength)
        }
    }

    /// The client error for a transport failure (during a download to `sink`, if given).
    private func explain(_ error: HTTPClientError, sink: DownloadSink?, expectedLength: Int?) -> ClientError {
        switch error {
        case .connectFailed(let uv) where uv.name == "ECONNREFUSED":
            return .connectionRefused(endpoint: endpoint.text)
        case .connectionClosed where sink != nil, .transport where sink != nil, .requestTimeout where sink != nil:
            let received = (try? group.loops[0].submitAndWait { sink!.received }) ?? 0
            guard let expectedLength else {
                return .unreachable(endpoint: endpoint.text,
                                    reason: "\(error) after \(received) bytes of the body; nothing was kept")
            }
            return .incomplete(received: received, expected: expectedLength)
        case .bodySourceFailed(let why):
            return .localFile(path: "the file being uploaded", reason: why)
        default:
            return .unreachable(endpoint: endpoint.text, reason: error.description)
        }
    }

    /// The client error for an answer with an unexpected status.
    private func unexpected(_ answer: Answer) -> ClientError {
        let code = answer.head.status.code
        guard code >= 300 else {
            return .badResponse("status \(code) where another was expected")
        }
        return ClientError.forStatus(code, body: String(decoding: answer.body, as: UTF8.self),
                                     bucket: answer.path.bucket, name: answer.path.name, signed: answer.signed)
    }

    /// Size, type, ETag and date from a 200 head.
    private func info(_ head: HTTPClientResponseHead) throws(ClientError) -> ObjectInfo {
        guard let length = head.header("content-length").flatMap(Int.init), length >= 0 else {
            throw .badResponse("no Content-Length")
        }
        return ObjectInfo(size: length, contentType: head.header("content-type") ?? "",
                          etag: head.header("etag") ?? "", lastModified: head.header("last-modified") ?? "")
    }

    /// A `Location` made absolute with the endpoint when the proxy sent only a path.
    private func absolute(_ location: String) -> String {
        location.hasPrefix("/") ? endpoint.text + location : location
    }
}
