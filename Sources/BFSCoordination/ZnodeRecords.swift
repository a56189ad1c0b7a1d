import BFSCore

/// The data of `/rack/<rack>/<storeId>`: where a store listens and its status (layout table in
/// ZnodeLayout.swift).
public struct StoreNode: Codable, Sendable, Equatable {
    /// A store status as bfs stores it (reference §3.3); any integer decodes.
    public struct Status: RawRepresentable, Codable, Sendable, Hashable {
        /// The integer written in JSON.
        public var rawValue: UInt32
        /// Wraps a raw status.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Registered, not probed yet: neither readable nor writable.
        public static let initial = Status(rawValue: 0)
        /// Enabled but failing (bit 31 alone).
        public static let fail = Status(rawValue: 1 << 31)
        /// Read-only (bit 31 + bit 0).
        public static let read = Status(rawValue: 1 << 31 | 1 << 0)
        /// Write-only (bit 31 + bit 1; pitchfork never sets it).
        public static let write = Status(rawValue: 1 << 31 | 1 << 1)
        /// Read and write (bit 31 + bits 0 and 1).
        public static let health = Status(rawValue: 1 << 31 | 1 << 0 | 1 << 1)
        /// bfs's `CanRead`: exact equality with read or health, not a bit test.
        public var canRead: Bool { self == .read || self == .health }
        /// bfs's `CanWrite`: exact equality with write or health.
        public var canWrite: Bool { self == .write || self == .health }

        /// Decodes the bare JSON integer.
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(UInt32.self)
        }

        /// Encodes the bare JSON integer.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }

    /// The stat listener, "host:port" (pitchfork probes `/info` there).
    public var stat: String
    /// The admin listener, "host:port".
    public var admin: String
    /// The api listener, "host:port".
    public var api: String
    /// The store id (`ServerId`); directories key stores by it.
    public var id: StoreID
    /// The rack name.
    public var rack: String
    /// The status, owned by pitchfork once set.
    public var status: Status

    /// Makes a store node.
    public init(stat: String, admin: String, api: String, id: StoreID, rack: String, status: Status) {
        self.stat = stat
        self.admin = admin
        self.api = api
        self.id = id
        self.rack = rack
        self.status = status
    }

    /// The JSON bytes exactly as Go bfs writes them (field order and escaping of encoding/json).
    public func jsonBytes() -> [UInt8] {
        var out = GoJSON()
        out.object { out in
            out.field("stat", string: stat)
            out.field("admin", string: admin)
            out.field("api", string: api)
            out.field("id", string: id)
            out.field("rack", string: rack)
            out.field("status", number: String(status.rawValue))
        }
        return out.bytes
    }
}

/// The data of `/volume/<vid>` (bfs) and, in this project, of `/volume/<vid>/<storeId>`.
public struct VolumeState: Codable, Sendable, Equatable {
    /// Writes processed by the volume since its store started.
    public var totalWriteProcessed: UInt64
    /// Sum of write delays, nanoseconds.
    public var totalWriteDelay: UInt64
    /// 4294967295 minus the block offset, in 8-byte units.
    public var freeSpace: UInt32

    enum CodingKeys: String, CodingKey {
        case totalWriteProcessed = "total_write_processed"
        case totalWriteDelay = "total_write_delay"
        case freeSpace = "free_space"
    }

    /// Makes a volume state.
    public init(totalWriteProcessed: UInt64, totalWriteDelay: UInt64, freeSpace: UInt32) {
        self.totalWriteProcessed = totalWriteProcessed
        self.totalWriteDelay = totalWriteDelay
        self.freeSpace = freeSpace
    }

    /// The JSON bytes exactly as Go bfs writes them.
    public func jsonBytes() -> [UInt8] {
        var out = GoJSON()
        out.object { out in
            out.field("total_write_processed", number: String(totalWriteProcessed))
            out.field("total_write_delay", number: String(totalWriteDelay))
            out.field("free_space", number: String(freeSpace))
        }
        return out.bytes
    }
}

/// The data of `/rack/<rack>/<storeId>/<vid>`: "<block path>,<index path>,<vid>".
public struct RackVolume: Sendable, Equatable {
    /// The volume's block file path on the store.
    public var blockPath: String
    /// The volume's index file path on the store.
    public var indexPath: String
    /// The volume id.
    public var vid: VolumeID

    /// Makes a rack volume record.
    public init(blockPath: String, indexPath: String, vid: VolumeID) {
        self.blockPath = blockPath
        self.indexPath = indexPath
        self.vid = vid
    }

    /// Parses the node data; nil unless it is exactly three comma-separated fields.
    public init?(bytes: [UInt8]) {
        let fields = String(decoding: bytes, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 3, let vid = VolumeID(fields[2]) else { return nil }
        self.init(blockPath: String(fields[0]), indexPath: String(fields[1]), vid: vid)
    }

    /// The node data bfs writes (`fmt.Sprintf("%s,%s,%d", ...)`).
    public var bytes: [UInt8] { Array("\(blockPath),\(indexPath),\(vid)".utf8) }
}

/// A tiny writer of Go `encoding/json` output: no spaces, fields in call order, HTML-safe escapes.
struct GoJSON {
    var bytes: [UInt8] = []
    private var first = true

    mutating func object(_ body: (inout GoJSON) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func field(_ name: String, string value: String) {
        key(name)
        appendString(value)
    }

    mutating func field(_ name: String, number: String) {
        key(name)
        bytes += Array(number.utf8)
    }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Escapes like Go: `"` and `\` with a backslash; \n \r \t short; other controls and
    /// `<`, `>`, `&`, U+2028, U+2029 as \u00XX / \u20XX (Go's HTML-safe default).
    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": bytes += Array("\\\"".utf8)
            case "\\": bytes += Array("\\\\".utf8)
            case "\n": bytes += Array("\\n".utf8)
            case "\r": bytes += Array("\\r".utf8)
            case "\t": bytes += Array("\\t".utf8)
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                appendEscaped(scalar.value)
            default:
                if scalar.value < 0x20 { appendEscaped(scalar.value) } else { bytes += Array(String(scalar).utf8) }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ value: UInt32) {
        let hex = Array("0123456789abcdef".utf8)
        bytes += Array("\\u".utf8)
        for shift in stride(from: 12, through: 0, by: -4) { bytes.append(hex[Int(value >> UInt32(shift) & 0xF)]) }
    }
}
