import BFSCoordination
import BFSCore
import Foundation

/// One volume as a store's `/info` reports it: the fields a pitchfork reads (reference §1.9,
/// the same ones Go bfs's pitchfork reads).
struct ProbedVolume: Sendable, Equatable {
    /// The volume id (`volumes[].id`).
    var id: VolumeID
    /// The block's append offset in `padding`-byte units (`block.offset`).
    var offset: UInt32
    /// The block's alignment in bytes (`block.padding`, 8 in every bfs volume).
    var padding: UInt32
    /// `block.last_err` is set: the volume failed (any non-null value; Go writes numbers or objects).
    var hasError: Bool
    /// `stats.total_write_processed`.
    var totalWriteProcessed: UInt64
    /// `stats.total_write_delay`, nanoseconds.
    var totalWriteDelay: UInt64

    /// Units left before the 32-bit offset runs out: bfs's `free_space` (4294967295 - offset).
    var freeSpace: UInt32 { UInt32.max - offset }

    /// Bytes left in the block.
    var freeBytes: UInt64 { UInt64(freeSpace) * UInt64(max(padding, 1)) }

    /// The VolumeState bfs readers expect in `/volume/<vid>`.
    var state: VolumeState {
        VolumeState(totalWriteProcessed: totalWriteProcessed, totalWriteDelay: totalWriteDelay, freeSpace: freeSpace)
    }
}

/// What a pitchfork reads from `GET /info`: the active volumes. Free volumes are ignored (they
/// are closed and report `last_err` 3005 by design); unknown fields are ignored, so any store
/// speaking the bfs API parses, ours or Go's.
struct StoreInfo: Sendable, Equatable {
    /// The active volumes, in the store's order.
    var volumes: [ProbedVolume]

    /// Parses the body of a 200 `/info` answer.
    static func parse(_ bytes: [UInt8]) throws(PitchforkError) -> StoreInfo {
        let document: InfoDocument
        do {
            document = try JSONDecoder().decode(InfoDocument.self, from: Data(bytes))
        } catch {
            throw .malformedInfo("\(error)")
        }
        if let ret = document.ret, ret != 1 { throw .malformedInfo("ret \(ret)") }
        return StoreInfo(volumes: (document.volumes ?? []).map { v in
            ProbedVolume(id: v.id, offset: v.block.offset, padding: v.block.padding ?? 8, hasError: v.block.hasError,
                         totalWriteProcessed: v.stats?.totalWriteProcessed ?? 0,
                         totalWriteDelay: v.stats?.totalWriteDelay ?? 0)
        })
    }
}

/// The decoded subset of `/info`.
private struct InfoDocument: Decodable {
    struct Volume: Decodable {
        var id: VolumeID
        var block: Block
        var stats: Stats?
    }

    struct Block: Decodable {
        var offset: UInt32
        var padding: UInt32?
        var hasError: Bool

        enum CodingKeys: String, CodingKey { case offset, padding, lastErr = "last_err" }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            offset = try c.decode(UInt32.self, forKey: .offset)
            padding = try c.decodeIfPresent(UInt32.self, forKey: .padding)
            // Absent or null: healthy. Anything else (a ret number, a Go error object) is an error.
            hasError = c.contains(.lastErr) ? !(try c.decodeNil(forKey: .lastErr)) : false
        }
    }

    struct Stats: Decodable {
        var totalWriteProcessed: UInt64?
        var totalWriteDelay: UInt64?

        enum CodingKeys: String, CodingKey {
            case totalWriteProcessed = "total_write_processed", totalWriteDelay = "total_write_delay"
        }
    }

    var ret: Int?
    var volumes: [Volume]?
}
