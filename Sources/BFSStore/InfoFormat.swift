/// The JSON of the stat listener's `GET /info`, field for field as bfs (reference §1.9), so that
/// bfs's pitchfork and ops read it unchanged. Fields beyond bfs are additions only.
///
/// ```
/// { "ret": 1,
///   "server": { "ver", "git_sha1", "start_time" (RFC 3339), "os", "process_id",
///               "total_connections_received", "connected_clients", "blocked_clients", "stats" },
///   "volumes": [ Volume ], "free_volumes": [ Volume ],
///   "failed_volumes": [ { "id", "block", "index", "error" } ],      // addition
///   "loads": [ AdminJobs.Load ], "compactions": [ AdminJobs.Compaction ], // additions
///   "data_dirs": [ "<dir>" ], "free_volume_size": <bytes>            // additions (ops)
/// }
/// Volume = { "id", "stats",
///            "block": { "file", "offset" (8-byte units), "size" (bytes), "last_err" (null | ret),
///                       "ver", "padding": 8 },
///            "index": { "file", "last_err", "offset" (bytes) },
///            "compact": bool, "compact_offset" (units), "compact_time" (ns),
///            "needles", "deleted", "damaged",                           // additions
///            "compact_progress": { "done", "total" } (bytes) }          // addition
/// ```
/// pitchfork reads `volumes[].id`, `block.offset`, `block.padding`, `block.last_err`,
/// `stats.total_write_processed`, `stats.total_write_delay`; ops counts the two arrays.
public struct InfoReport: Encodable, Sendable {
    public var ret = 1
    public var server: ServerInfo
    public var volumes: [VolumeInfo]
    public var freeVolumes: [VolumeInfo]
    public var failedVolumes: [FailedVolumeInfo]

    enum CodingKeys: String, CodingKey {
        case ret, server, volumes
        case freeVolumes = "free_volumes"
        case failedVolumes = "failed_volumes"
    }
}

/// The `server` object of `/info`.
public struct ServerInfo: Encodable, Sendable {
    public var ver = "0.1"
    public var gitSHA1 = ""
    public var startTime: String
    public var os = "linux"
    public var processID: Int
    public var totalConnectionsReceived: UInt64 = 0
    public var connectedClients: UInt64 = 0
    public var blockedClients: UInt64 = 0
    public var stats: StatsSnapshot

    enum CodingKeys: String, CodingKey {
        case ver, os, stats
        case gitSHA1 = "git_sha1"
        case startTime = "start_time"
        case processID = "process_id"
        case totalConnectionsReceived = "total_connections_received"
        case connectedClients = "connected_clients"
        case blockedClients = "blocked_clients"
    }
}

/// One volume in `/info`.
public struct VolumeInfo: Encodable, Sendable {
    public struct Block: Encodable, Sendable {
        public var file: String
        public var offset: UInt32
        public var size: Int64
        public var lastErr: Int?
        public var ver: Int = 1
        public var padding: Int = 8

        enum CodingKeys: String, CodingKey {
            case file, offset, size, ver, padding
            case lastErr = "last_err"
        }

        // `last_err` is always present: null when healthy, as Go encodes a nil error.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file)
            try c.encode(offset, forKey: .offset)
            try c.encode(size, forKey: .size)
            try c.encode(lastErr, forKey: .lastErr)
            try c.encode(ver, forKey: .ver)
            try c.encode(padding, forKey: .padding)
        }
    }

    public struct Index: Encodable, Sendable {
        public var file: String
        public var lastErr: Int?
        public var offset: Int64

        enum CodingKeys: String, CodingKey {
            case file, offset
            case lastErr = "last_err"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file)
            try c.encode(lastErr, forKey: .lastErr)
            try c.encode(offset, forKey: .offset)
        }
    }

    public struct Progress: Encodable, Sendable {
        public var done: Int64
        public var total: Int64
    }

    public var id: Int32
    public var stats: StatsSnapshot
    public var block: Block
    public var index: Index
    public var compact: Bool
    public var compactOffset: UInt32
    public var compactTime: Int64
    public var needles: Int
    public var deleted: Int
    public var damaged: Int
    public var compactProgress: Progress?

    enum CodingKeys: String, CodingKey {
        case id, stats, block, index, compact, needles, deleted, damaged
        case compactOffset = "compact_offset"
        case compactTime = "compact_time"
        case compactProgress = "compact_progress"
    }
}

/// A volume listed in the volume list that could not be opened (an addition; bfs would not start).
public struct FailedVolumeInfo: Encodable, Sendable {
    public var id: Int32
    public var block: String
    public var index: String
    public var error: String
}

/// bfs's `<Stats>` object: cumulative totals plus per-second deltas (delays in nanoseconds).
public struct StatsSnapshot: Encodable, Sendable, Equatable {
    public var totalCommandsProcessed: UInt64 = 0
    public var totalWriteProcessed: UInt64 = 0
    public var writeTPS: UInt64 = 0
    public var totalDelProcessed: UInt64 = 0
    public var delTPS: UInt64 = 0
    public var totalGetProcessed: UInt64 = 0
    public var getQPS: UInt64 = 0
    public var totalFlushProcessed: UInt64 = 0
    public var flushTPS: UInt64 = 0
    public var totalCompactProcessed: UInt64 = 0
    public var totalTransferedBytes: UInt64 = 0
    public var transferedFlow: UInt64 = 0
    public var totalReadBytes: UInt64 = 0
    public var readFlow: UInt64 = 0
    public var totalWriteBytes: UInt64 = 0
    public var writeFlow: UInt64 = 0
    public var totalDelay: UInt64 = 0
    public var delay: UInt64 = 0
    public var totalAddDelay: UInt64 = 0
    public var addDelay: UInt64 = 0
    public var totalWriteDelay: UInt64 = 0
    public var writeDelay: UInt64 = 0
    public var totalDelDelay: UInt64 = 0
    public var delDelay: UInt64 = 0
    public var totalGetDelay: UInt64 = 0
    public var getDelay: UInt64 = 0
    public var totalFlushDelay: UInt64 = 0
    public var flushDelay: UInt64 = 0
    public var totalCompactDelay: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case totalCommandsProcessed = "total_commands_processed"
        case totalWriteProcessed = "total_write_processed"
        case writeTPS = "write_tps"
        case totalDelProcessed = "total_del_processed"
        case delTPS = "del_tps"
        case totalGetProcessed = "total_get_processed"
        case getQPS = "get_qps"
        // bfs's struct tag for this field is malformed, so Go falls back to the field name.
        case totalFlushProcessed = "TotalFlushProcessed"
        case flushTPS = "flush_tps"
        case totalCompactProcessed = "total_compact_processed"
        case totalTransferedBytes = "total_transfered_bytes"
        case transferedFlow = "transfered_flow"
        case totalReadBytes = "total_read_bytes"
        case readFlow = "read_flow"
        case totalWriteBytes = "total_write_bytes"
        case writeFlow = "write_flow"
        case totalDelay = "total_delay"
        case delay
        case totalAddDelay = "total_add_delay"
        case addDelay = "add_delay"
        case totalWriteDelay = "total_write_delay"
        case writeDelay = "write_delay"
        case totalDelDelay = "total_del_delay"
        case delDelay = "del_delay"
        case totalGetDelay = "total_get_delay"
        case getDelay = "get_delay"
        case totalFlushDelay = "total_flush_delay"
        case flushDelay = "flush_delay"
        case totalCompactDelay = "total_compact_delay"
    }
}
