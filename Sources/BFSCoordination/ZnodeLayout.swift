import BFSCore

// The znode tree of a bfs cluster, compatible with Go bfs (reference bfs-v1.md §1.12, §2.2, §3.1).
// All paths are below the client's root prefix (e.g. "/bfs-cluster-a"); bfs itself uses none.
//
// | Path                             | Kind                  | Data                                   | Written by            | Read by                      |
// |----------------------------------|-----------------------|----------------------------------------|-----------------------|------------------------------|
// | /rack                            | persistent            | "" (a versioned set wakes data watches)| store (startup), pitchfork | directory (data watch)  |
// | /rack/<rack>                     | persistent            | empty                                  | store (ensurePath)    | directory, pitchfork         |
// | /rack/<rack>/<storeId>           | persistent            | StoreNode JSON (below)                 | store; `status` by pitchfork | directory, pitchfork  |
// | /rack/<rack>/<storeId>/<vid>     | persistent            | RackVolume text "<block>,<index>,<vid>"| store (add, compact, startup) | store (startup), directory (names) |
// | /volume                          | persistent            | empty                                  | ops                   | directory                    |
// | /volume/<vid>                    | persistent            | VolumeState JSON; empty until probed   | pitchfork (last writer wins) | directory             |
// | /volume/<vid>/<storeId>          | persistent            | bfs: empty. Ours: that replica's VolumeState JSON (empty = not probed yet) | ops (create), pitchfork (data) | directory |
// | /group                           | persistent            | empty                                  | ops                   | directory                    |
// | /group/<gid>                     | persistent            | empty                                  | ops                   | directory                    |
// | /group/<gid>/<storeId>           | persistent            | empty (membership)                     | ops                   | directory                    |
// | /pitchfork/<seq>                 | ephemeral, sequential | empty; the base name is the pitchfork id | pitchfork           | pitchforks (division of work)|
// | /live/<storeId>                  | ephemeral (ours)      | empty; present while the store's session lives | store          | directory, pitchfork         |
// | /keyworker                       | persistent (ours)     | empty                                  | directory (ensurePath)| directory                    |
// | /keyworker/lease-<seq>           | ephemeral, sequential (ours) | empty; <seq> mod 1024 is the first worker id the directory tries | directory | — |
// | /keyworker/id-<n>                | ephemeral (ours)      | the holder's lease node name; claims snowflake worker id n (0–1023) | directory | directories (create fails while held) |
// | /ops                             | persistent (ours)     | empty                                  | ops (ensurePath)      | ops                          |
// | /ops/provisioning                | ephemeral (ours)      | the holder's random token; held while one ops process adds free volumes, creates groups or allocates | ops | ops (create fails while held) |
//
// StoreNode JSON, fields in this order, as Go's encoding/json writes them:
//   {"stat":"<host:port>","admin":"<host:port>","api":"<host:port>","id":"<storeId>","rack":"<rack>","status":<int>}
//   status (§3.3): 0 init, 2147483648 fail (enable bit 31), 2147483649 read, 2147483650 write,
//   2147483651 health. Readers compare for equality; unknown values are kept as they are.
// VolumeState JSON: {"total_write_processed":<uint64>,"total_write_delay":<uint64 ns>,"free_space":<uint32>}
//   free_space = 4294967295 - block offset, in 8-byte units.
// Readers ignore unknown JSON fields (Go does too), so additions never break a bfs reader.
// Names (rack, storeId) must not contain "/"; block and index paths must not contain ",".

/// Path builders for the znode tree documented at the top of this file.
public enum ZnodeLayout {
    /// The rack list; its data is bumped to wake directories.
    public static let racks = "/rack"
    /// The volume list.
    public static let volumes = "/volume"
    /// The group list.
    public static let groups = "/group"
    /// The pitchfork membership list.
    public static let pitchforks = "/pitchfork"
    /// The live-store list (ephemeral children).
    public static let liveStores = "/live"

    /// A rack: `/rack/<rack>`.
    public static func rack(_ rack: String) -> String { "\(racks)/\(rack)" }
    /// A store's node: `/rack/<rack>/<storeId>`.
    public static func store(rack: String, id: StoreID) -> String { "\(racks)/\(rack)/\(id)" }
    /// A volume of a store: `/rack/<rack>/<storeId>/<vid>`.
    public static func storeVolume(rack: String, id: StoreID, vid: VolumeID) -> String { "\(store(rack: rack, id: id))/\(vid)" }
    /// A volume: `/volume/<vid>`.
    public static func volume(_ vid: VolumeID) -> String { "\(volumes)/\(vid)" }
    /// One replica of a volume: `/volume/<vid>/<storeId>`.
    public static func volumeReplica(vid: VolumeID, store: StoreID) -> String { "\(volume(vid))/\(store)" }
    /// A group: `/group/<gid>`.
    public static func group(_ gid: Int) -> String { "\(groups)/\(gid)" }
    /// A member of a group: `/group/<gid>/<storeId>`.
    public static func groupMember(gid: Int, store: StoreID) -> String { "\(group(gid))/\(store)" }
    /// The prefix a pitchfork creates its ephemeral sequential node with: `/pitchfork/`.
    public static let pitchforkPrefix = "\(pitchforks)/"
    /// A store's liveness node: `/live/<storeId>`.
    public static func live(_ store: StoreID) -> String { "\(liveStores)/\(store)" }
    /// The key-worker list (directories' snowflake worker ids).
    public static let keyWorkers = "/keyworker"
    /// The prefix a directory creates its ephemeral sequential lease with: `/keyworker/lease-`.
    public static let keyWorkerLeasePrefix = "\(keyWorkers)/lease-"
    /// The claim of snowflake worker id `n`: `/keyworker/id-<n>`.
    public static func keyWorkerID(_ worker: Int) -> String { "\(keyWorkers)/id-\(worker)" }
    /// Ops processes' shared nodes.
    public static let ops = "/ops"
    /// The cluster-wide provisioning lock: `/ops/provisioning` (ephemeral).
    public static let opsProvisioningLock = "\(ops)/provisioning"
}
