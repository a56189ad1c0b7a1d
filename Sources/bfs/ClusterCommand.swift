import ArgumentParser
import BFSCore
import BFSOps
import Foundation

/// `bfs cluster status|add-free-volumes|create-groups|allocate|compact|repair --ops HOST:PORT`:
/// the ops actions from a terminal, on the ops API with the cluster token. Exits non-zero when
/// any store's part failed.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Cluster administration through the ops API.",
        subcommands: [Status.self, AddFreeVolumes.self, CreateGroups.self, Allocate.self, Compact.self, Repair.self])

    /// Where ops is and the cluster token to send.
    struct Connection: ParsableArguments {
        @Option(help: "Ops address (HOST:PORT).") var ops: String = "127.0.0.1:6080"
        @Option(help: "Cluster token (default: $BFS_CLUSTER_TOKEN).") var token: String?

        func client() throws -> OpsAPIClient {
            guard let address = HostPort(ops), address.port > 0 else { throw ValidationError("bad --ops \(ops)") }
            return try OpsAPIClient(ops: address, token: token ?? ProcessInfo.processInfo.environment["BFS_CLUSTER_TOKEN"] ?? "")
        }
    }

    /// A failure already printed; exits 1.
    struct PartFailed: Error, CustomStringConvertible {
        var description: String { "some stores failed (see above)" }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Racks, stores, groups and volumes.")
        @OptionGroup var connection: Connection
        func run() throws {
            let o = try connection.client().get("/api/overview")
            for line in describeOverview(o) { print(line) }
        }
    }

    struct AddFreeVolumes: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-free-volumes", abstract: "Add free volumes to stores.")
        @Option(name: .customLong("store"), help: "A store id (repeat; default: every store).") var stores: [String] = []
        @Option(help: "Free volumes to add per store.") var count: Int?
        @Option(help: "Free volumes each store should have (adds only the shortfall; safe to repeat).") var atLeast: Int?
        @Option(help: "Capacity per store instead of a count (e.g. 64GiB).") var size: String?
        @Option(help: "Directory for the files (default: each store's first data directory).") var dir: String?
        @OptionGroup var connection: Connection
        func run() throws {
            var body: [String: Any] = [:]
            if !stores.isEmpty { body["stores"] = stores }
            if let count { body["count"] = count }
            if let atLeast { body["at_least"] = atLeast }
            if let size { body["size"] = size }
            if let dir { body["dir"] = dir }
            let r = try connection.client().post("/api/stores/free-volumes", body)
            for line in OpsText.resultLines(r["results"] as? [[String: Any]] ?? []) { print(line) }
            guard r["ok"] as? Bool == true else { throw PartFailed() }
        }
    }

    struct CreateGroups: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create-groups", abstract: "Group ungrouped stores, rack-aware.")
        @Option(help: "Replicas per group (2 or 3).") var copies: Int = 2
        @Option(name: .customLong("store"), help: "A store id (repeat; default: every live ungrouped store).") var stores: [String] = []
        @OptionGroup var connection: Connection
        func run() throws {
            var body: [String: Any] = ["copies": copies]
            if !stores.isEmpty { body["stores"] = stores }
            let r = try connection.client().post("/api/groups", body)
            for g in r["groups"] as? [[String: Any]] ?? [] {
                let id = (g["id"] as? Int).map(String.init) ?? "-"
                let members = (g["stores"] as? [String] ?? []).joined(separator: ",")
                let racks = (g["racks"] as? [String] ?? []).joined(separator: ",")
                print("\(g["ok"] as? Bool == true ? "ok    " : "FAILED") group \(id): \(members) (racks \(racks)) \(g["detail"] as? String ?? "")")
            }
            for s in r["skipped"] as? [[String: Any]] ?? [] { print("skipped \(s["store"] as? String ?? ""): \(s["detail"] as? String ?? "")") }
            if let left = r["leftover"] as? [String], !left.isEmpty { print("left ungrouped: \(left.joined(separator: ", "))") }
            guard r["ok"] as? Bool == true else { throw PartFailed() }
        }
    }

    struct Allocate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allocate volumes on groups.")
        @Option(name: .customLong("group"), help: "A group id (repeat; default: every group).") var groups: [Int] = []
        @Option(help: "Volumes per group (default: as many as the free volumes allow).") var count: Int?
        @Option(help: "Free volumes to keep on each store.") var keepFree: Int = 1
        @OptionGroup var connection: Connection
        func run() throws {
            var body: [String: Any] = ["keep_free": keepFree]
            if !groups.isEmpty { body["groups"] = groups }
            if let count { body["count"] = count }
            let r = try connection.client().post("/api/volumes", body)
            for g in r["groups"] as? [[String: Any]] ?? [] {
                print("group \(g["group"] as? Int ?? 0): \(g["detail"] as? String ?? "")")
                for v in g["volumes"] as? [[String: Any]] ?? [] {
                    print("  volume \(v["vid"] as? Int ?? 0) \(v["ok"] as? Bool == true ? "ok" : "FAILED")")
                    for line in OpsText.resultLines(v["stores"] as? [[String: Any]] ?? [], indent: "    ") { print(line) }
                }
            }
            guard r["ok"] as? Bool == true else { throw PartFailed() }
        }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compact a volume on every replica, with progress.")
        @Option(help: "Volume id.") var vid: Int32
        @OptionGroup var connection: Connection
        func run() throws {
            let client = try connection.client()
            try follow(client, try client.post("/api/compact", ["vid": vid]))
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rebuild a store's replica from a healthy peer, with progress.")
        @Option(help: "Volume id.") var vid: Int32
        @Option(help: "The store to rebuild.") var store: String
        @Option(help: "The store to copy from (default: a readable replica).") var from: String?
        @OptionGroup var connection: Connection
        func run() throws {
            let client = try connection.client()
            var body: [String: Any] = ["vid": vid, "store": store]
            if let from { body["from"] = from }
            try follow(client, try client.post("/api/repair", body))
        }
    }
}

/// Draws a job's progress bars until it ends (redrawn in place on a terminal, a new block
/// whenever they change otherwise); throws when it failed.
private func follow(_ client: OpsAPIClient, _ started: [String: Any]) throws {
    guard let id = started["job"] as? String else { throw ValidationError("ops started no job") }
    print("job \(id)")
    let terminal = isatty(STDOUT_FILENO) == 1
    var drawn: [String] = []
    let job = try client.follow(job: id) { job in
        let lines = OpsText.jobLines(job)
        guard lines != drawn else { return }
        // ESC[nA moves up over the previous drawing; ESC[K clears the rest of a line.
        if terminal, !drawn.isEmpty { FileHandle.standardOutput.write(Data("\u{1B}[\(drawn.count)A".utf8)) }
        for line in lines { print(terminal ? "\r" + line + "\u{1B}[K" : line) }
        fflush(nil)
        drawn = lines
    }
    guard job["state"] as? String == "done" else { throw ClusterCommand.PartFailed() }
}

/// The overview as text.
private func describeOverview(_ o: [String: Any]) -> [String] {
    var out: [String] = []
    for s in o["stores"] as? [[String: Any]] ?? [] {
        let volumes = (s["volumes"] as? [[String: Any]] ?? []).map { v in
            "#\(v["id"] as? Int ?? 0) \(Int(((v["fill"] as? Double) ?? 0) * 100))%"
        }.joined(separator: " ")
        let group = (s["group"] as? Int).map { "group \($0)" } ?? "no group"
        out.append("store \(s["id"] as? String ?? "") rack \(s["rack"] as? String ?? "") \(s["status"] as? String ?? "") "
            + "\(s["live"] as? Bool == true ? "live" : "GONE") \(group), \(s["free_volumes"] as? Int ?? 0) free volumes; \(volumes)"
            + ((s["error"] as? String).map { " (\($0))" } ?? ""))
    }
    for g in o["groups"] as? [[String: Any]] ?? [] {
        out.append("group \(g["id"] as? Int ?? 0): \((g["stores"] as? [String] ?? []).joined(separator: ",")) "
            + "racks \((g["racks"] as? [String] ?? []).joined(separator: ",")) "
            + "\(g["writable"] as? Bool == true ? "writable" : "not writable") volumes \((g["volumes"] as? [Int] ?? []).map(String.init).joined(separator: ","))")
    }
    out.append("pitchforks: \((o["pitchforks"] as? [String] ?? []).joined(separator: ", "))")
    out.append("directories: \((o["directories"] as? [String] ?? []).joined(separator: ", "))")
    return out
}
