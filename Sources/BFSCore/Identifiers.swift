/// A volume id (`vid`): int32 on the wire and in ZooKeeper paths, as in bfs. Free volumes use -1.
public typealias VolumeID = Int32

/// A needle key: int64, unique per file across the cluster (snowflake generated).
public typealias NeedleKey = Int64

/// A needle cookie: int32 chosen at upload; a read must present it (guards against key guessing).
public typealias Cookie = Int32

/// The id of a store in the cluster (`ServerId` in bfs): an opaque string, unique cluster-wide.
public typealias StoreID = String
