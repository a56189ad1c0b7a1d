import BFSCore
import BFSHTTP
import BFSLoop
import Foundation

/// Calls to stores and the directory from async code: each request is handed to the ops
/// `HTTPClient` on its loop and the caller's task is suspended until the answer, so no thread
/// (least of all a loop thread) waits on the network.
struct OpsCalls: Sendable {
    let loop: EventLoop
    let client: HTTPClient
    let token: String

    /// Why a call gave no usable answer.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends `request` (the cluster token added) and answers the response or a failure.
    func send(_ request: HTTPClientRequest) async -> Result<HTTPClientResponse, Failure> {
        var authorized = request
        if !token.isEmpty { authorized.headers.append(.init(name: "Authorization", value: "Bearer \(token)")) }
        let (client, target, request) = (self.client, "\(request.host):\(request.port)", authorized)
        return await withCheckedContinuation { continuation in
            let queued = loop.execute {
                client.execute(request) { result in
                    continuation.resume(returning: result.mapError { Failure(description: "\(target): \($0)") })
                }
            }
            if !queued { continuation.resume(returning: .failure(Failure(description: "ops is stopping"))) }
        }
    }

    /// `POST` of form fields to `address`; answers the JSON object of a 200 reply.
    func postForm(_ address: String, _ path: String, _ fields: FormFields) async -> Result<[String: Any], Failure> {
        guard let hp = HostPort(address) else { return .failure(Failure(description: "bad address \(address)")) }
        let response = await send(HTTPClientRequest(host: hp.host, port: hp.port, target: path, form: fields))
        return response.flatMap(Self.jsonObject)
    }

    /// `GET` of `path` on `address`; answers the JSON object of a 200 reply.
    func getJSON(_ address: String, _ path: String) async -> Result<[String: Any], Failure> {
        guard let hp = HostPort(address) else { return .failure(Failure(description: "bad address \(address)")) }
        let response = await send(HTTPClientRequest(host: hp.host, port: hp.port, target: path))
        return response.flatMap(Self.jsonObject)
    }

    /// A store's `/info`, decoded.
    func info(stat address: String) async -> Result<StoreInfo, Failure> {
        guard let hp = HostPort(address) else { return .failure(Failure(description: "bad address \(address)")) }
        switch await send(HTTPClientRequest(host: hp.host, port: hp.port, target: "/info")) {
        case .success(let response) where response.status == .ok:
            do { return .success(try JSONDecoder().decode(StoreInfo.self, from: Data(response.body))) } catch {
                return .failure(Failure(description: "\(address)/info: \(error)"))
            }
        case .success(let response):
            return .failure(Failure(description: "\(address)/info answered \(response.status.code)"))
        case .failure(let failure):
            return .failure(failure)
        }
    }

    private static func jsonObject(_ response: HTTPClientResponse) -> Result<[String: Any], Failure> {
        guard response.status == .ok else {
            return .failure(Failure(description: "HTTP \(response.status.code): \(response.text.prefix(200))"))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            return .failure(Failure(description: "not a JSON object: \(response.text.prefix(200))"))
        }
        return .success(object)
    }
}

/// The parts of a store's `/info` ops reads (BFSStore's `InfoFormat` documents the whole).
struct StoreInfo: Decodable, Sendable {
    struct Volume: Decodable, Sendable {
        struct Block: Decodable, Sendable {
            var file: String
            var size: Int64
        }
        struct Progress: Decodable, Sendable {
            var done: Int64
            var total: Int64
        }
        var id: Int32
        var block: Block
        var compact: Bool?
        var needles: Int?
        var deleted: Int?
        var compactProgress: Progress?

        enum CodingKeys: String, CodingKey {
            case id, block, compact, needles, deleted
            case compactProgress = "compact_progress"
        }
    }

    /// A bulk load or pull (`AdminJobs.Load`).
    struct Load: Decodable, Sendable {
        var id: Int32
        var from: String
        var state: String
        var done: Int64
        var total: Int64
        var error: String?
    }

    /// A compaction (`AdminJobs.Compaction`).
    struct Compaction: Decodable, Sendable {
        var id: Int32
        var state: String
        var startTime: Int64
        var error: String?

        enum CodingKeys: String, CodingKey {
            case id, state, error
            case startTime = "start_time"
        }
    }

    struct Failed: Decodable, Sendable {
        var id: Int32
        var error: String
    }

    var volumes: [Volume]?
    var freeVolumes: [Volume]?
    var failedVolumes: [Failed]?
    var loads: [Load]?
    var compactions: [Compaction]?
    var dataDirs: [String]?
    var freeVolumeSize: Int64?

    enum CodingKeys: String, CodingKey {
        case volumes, loads, compactions
        case freeVolumes = "free_volumes"
        case failedVolumes = "failed_volumes"
        case dataDirs = "data_dirs"
        case freeVolumeSize = "free_volume_size"
    }

    /// The active volume `vid`, if this store serves it.
    func volume(_ vid: Int32) -> Volume? { volumes?.first { $0.id == vid } }
}
