import BFSCore
import BFSHTTP

/// A blocking client of the directory's bucket endpoints, for `bfs bucket` and ops tools.
///
/// Each call runs one request on a private loop and waits for the answer; call it from a
/// plain thread (a command line), never from a loop.
public final class BucketAdminClient: Sendable {
    /// Why a call failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the directory's answer when there was one.
        public let description: String
    }

    private let directory: HostPort
    private let token: String
    private let client: BlockingHTTPClient

    /// A client of the directory at `directory`, sending `token` as the cluster token when non-empty.
    public init(directory: HostPort, token: String) throws {
        self.directory = directory
        self.token = token
        client = try BlockingHTTPClient(name: "bfs-bucket")
    }

    /// `GET /buckets`: the JSON answer (a `ret` other than 1 throws).
    public func list() throws -> String { try call("GET", "/buckets", [:]) }

    /// `POST /buckets/<action>` (`create`, `update`, `rotate`) with `fields`: the JSON answer.
    public func post(_ action: String, _ fields: FormFields) throws -> String {
        try call("POST", "/buckets/\(action)", fields)
    }

    private func call(_ method: String, _ target: String, _ fields: FormFields) throws -> String {
        let headers = token.isEmpty ? [] : [FormFields.Pair(name: "Authorization", value: "Bearer \(token)")]
        let request = method == "GET"
            ? HTTPClientRequest(host: directory.host, port: directory.port, target: target, headers: headers)
            : HTTPClientRequest(host: directory.host, port: directory.port, target: target, form: fields, headers: headers)
        guard let result = client.send(request, timeout: .seconds(30)) else {
            throw Failure(description: "directory \(directory) did not answer in 30 s")
        }
        switch result {
        case .success(let response) where response.status == .ok && response.text.hasPrefix("{\"ret\":1,"):
            return response.text
        case .success(let response):
            throw Failure(description: "directory answered \(response.status.code): \(response.text)")
        case .failure(let error):
            throw Failure(description: "directory \(directory): \(error)")
        }
    }
}
