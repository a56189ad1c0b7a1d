import Synchronization

/// One loop's share of a `RequestStats`: the counters of the reads and writes that loop answers.
///
/// Only its loop's thread updates it, so an update is a plain load and store of each counter
/// (no locked read-modify-write, no cache line shared with the other loops); `/info` sums the
/// shards with the shared counters when it renders (`RequestStats.snapshot`). The counters are
/// atomics only so that the summing thread reads whole values.
final class RequestStatsShard: Sendable {
    let commands = Atomic<UInt64>(0)
    let writes = Atomic<UInt64>(0)
    let gets = Atomic<UInt64>(0)
    let transferredBytes = Atomic<UInt64>(0)
    let readBytes = Atomic<UInt64>(0)
    let writeBytes = Atomic<UInt64>(0)
    let totalDelay = Atomic<UInt64>(0)
    let writeDelay = Atomic<UInt64>(0)
    let getDelay = Atomic<UInt64>(0)

    /// Counts a served read of `bytes` data bytes that took `nanos` (owning loop only).
    func didGet(bytes: Int, nanos: UInt64) {
        Self.bump(commands, 1)
        Self.bump(gets, 1)
        Self.bump(readBytes, UInt64(bytes))
        Self.bump(transferredBytes, UInt64(bytes))
        Self.bump(getDelay, nanos)
        Self.bump(totalDelay, nanos)
    }

    /// Counts `count` durable writes of `bytes` data bytes in total that took `nanos` (owning
    /// loop only).
    func didWrite(count: Int, bytes: Int, nanos: UInt64) {
        Self.bump(commands, 1)
        Self.bump(writes, UInt64(count))
        Self.bump(writeBytes, UInt64(bytes))
        Self.bump(transferredBytes, UInt64(bytes))
        Self.bump(writeDelay, nanos)
        Self.bump(totalDelay, nanos)
    }

    /// Adds `n` as the counter's only writer.
    private static func bump(_ counter: borrowing Atomic<UInt64>, _ n: UInt64) {
        counter.store(counter.load(ordering: .relaxed) &+ n, ordering: .relaxed)
    }
}
