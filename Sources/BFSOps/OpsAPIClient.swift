import BFSCore
import BFSHTTP
import Dispatch
import Foundation

/// A blocking client of the ops API for `bfs cluster`: each call runs one request on a private
/// loop with the cluster token and waits for the answer. Call it from a plain thread (a command
/// line), never from a loop.
public final class OpsAPIClient: Sendable {
    /// Why a call failed: no answer, or an answer with an error status.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with ops's `error` text when there was one.
        public let description: String
    }

    private let ops: HostPort
    private let token: String
    private let client: BlockingHTTPClient

    /// A client of ops at `ops`, sending `token` as the cluster token.
    public init(ops: HostPort, token: String) throws {
        self.ops = ops
        self.token = token
        client = try BlockingHTTPClient(name: "bfs-cluster", configuration: .init(requestTimeout: 600_000))
    }

    /// `GET path`: the JSON object answered.
    public func get(_ path: String) throws -> [String: Any] { try call("GET", path, nil) }

    /// `POST path` with a JSON object body: the JSON object answered.
    public func post(_ path: String, _ body: [String: Any]) throws -> [String: Any] { try call("POST", path, body) }

    /// Polls job `id` every `interval` until it ends, calling `progress` with each state;
    /// answers the last one.
    public func follow(job id: String, interval: Duration = .milliseconds(300),
                       progress: ([String: Any]) -> Void) throws -> [String: Any] {
        while true {
            let job = try get("/api/jobs/\(id)")
            progress(job)
            guard job["state"] as? String == "running" else { return job }
            usleep(useconds_t(max(1, interval.wholeMilliseconds) * 1000))
        }
    }

    private func call(_ method: String, _ path: String, _ body: [String: Any]?) throws -> [String: Any] {
        var headers = [FormFields.Pair(name: "Authorization", value: "Bearer \(token)")]
        var bytes: [UInt8] = []
        if let body {
            headers.append(.init(name: "Content-Type", value: "application/json"))
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let request = HTTPClientRequest(method: method, host: ops.host, port: ops.port, target: path, headers: headers, body: bytes)
        guard let result = client.send(request, timeout: .seconds(610)) else {
            throw Failure(description: "ops \(ops) did not answer")
        }
        switch result {
        case .success(let response):
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
            guard (200..<300).contains(response.status.code), let object else {
                let why = (object?["error"] as? String) ?? response.text
                throw Failure(description: "ops answered \(response.status.code): \(why)")
            }
            return object
        case .failure(let error):
            throw Failure(description: "ops \(ops): \(error)")
        }
    }
}

/// Text renderings of ops answers for a terminal.
public enum OpsText {
    /// `[#########           ]  45 %`
    public static func bar(_ fraction: Double, width: Int = 30) -> String {
        let f = min(1, max(0, fraction))
        let filled = Int((f * Double(width)).rounded(.down))
        let percent = String(Int((f * 100).rounded(.down)))
        return "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            + String(repeating: " ", count: max(0, 3 - percent.count)) + percent + " %"
    }

    /// One line per store of a job: `s-1  [####   ]  40 %  running`.
    public static func jobLines(_ job: [String: Any]) -> [String] {
        (job["stores"] as? [[String: Any]] ?? []).map { part in
            let store = part["store"] as? String ?? "?"
            let progress = (part["progress"] as? Double) ?? Double((part["progress"] as? Int) ?? 0)
            let state = part["state"] as? String ?? ""
            let error = (part["error"] as? String).map { ": \($0)" } ?? ""
            return store.padding(toLength: max(store.count, 8), withPad: " ", startingAt: 0) + " " + bar(progress) + "  " + state + error
        }
    }

    /// One line per store result: `ok      s-1  created 3 in /data`.
    public static func resultLines(_ results: [[String: Any]], indent: String = "") -> [String] {
        results.map { r in
            let ok = r["ok"] as? Bool ?? false
            return indent + (ok ? "ok      " : "FAILED  ") + (r["store"] as? String ?? "?") + "  " + (r["detail"] as? String ?? "")
        }
    }
}
