import BFSCore
import Foundation
import Synchronization

// Needle keys are snowflake ids generated in-process (reference §2.5 for bfs's external
// gosnowflake service). Layout of the 64-bit key, most significant bit first:
//
// | Bits   | Width | Field                                                                 |
// |--------|-------|-----------------------------------------------------------------------|
// | 63     | 1     | 0, so keys are positive int64 as bfs stores them                      |
// | 22–62  | 41    | milliseconds since 1288834974657 (2010-11-04 01:42:54.657 UTC)        |
// | 12–21  | 10    | worker id, leased from coordination (`WorkerLease`)                   |
// | 0–11   | 12    | sequence within the millisecond                                       |
//
// The epoch is gosnowflake's, and bits 12–21 are where it put datacenter (5) and worker (5), so
// keys made here sort after every key a bfs cluster already holds and never repeat one of a
// later millisecond. 41 bits of milliseconds last until 2080.

/// Makes unique, increasing needle keys (layout in the table above).
///
/// Uniqueness rests on three rules: a worker id is held by one live directory at a time
/// (`WorkerLease`); within one generator `(millisecond, sequence)` never repeats; and a clock
/// that steps backwards is refused (`clockMovedBackwards`) rather than trusted.
public final class KeyGenerator: Sendable {
    /// Milliseconds since the Unix epoch of the key epoch (gosnowflake's).
    public static let epochMilliseconds: Int64 = 1_288_834_974_657
    /// Width of the sequence field.
    public static let sequenceBits = 12
    /// Width of the worker field.
    public static let workerBits = 10
    /// Width of the millisecond field.
    public static let millisecondBits = 41
    /// Worker ids run from 0 to `workerCount - 1`.
    public static let workerCount = 1 << workerBits
    static let sequenceCount = 1 << sequenceBits

    private struct State {
        var worker: Int?
        var lastMillisecond: Int64 = -1
        var sequence = 0
    }

    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())

    /// Makes a generator reading `clock` (milliseconds since the Unix epoch); it refuses keys
    /// until a worker id is set.
    public init(clock: @escaping @Sendable () -> Int64 = KeyGenerator.wallClockMilliseconds) {
        self.clock = clock
    }

    /// The wall clock in milliseconds since the Unix epoch.
    public static let wallClockMilliseconds: @Sendable () -> Int64 = {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The worker id keys are made with, nil while none is leased.
    public var worker: Int? { state.withLock { $0.worker } }

    /// Sets or clears the worker id (the lease calls this; nil stops key generation).
    public func setWorker(_ worker: Int?) {
        precondition(worker.map { (0..<Self.workerCount).contains($0) } ?? true, "worker id out of range")
        state.withLock { $0.worker = worker }
    }

    /// The next key, or why none can be made right now.
    public func next() throws(DirectoryError) -> NeedleKey {
        let now = clock()
        let result = state.withLock { state -> Result<NeedleKey, DirectoryError> in
            guard let worker = state.worker else { return .failure(.noWorkerLease) }
            if now < state.lastMillisecond {
                return .failure(.clockMovedBackwards(lastMillisecond: state.lastMillisecond, nowMillisecond: now))
            }
            let elapsed = now - Self.epochMilliseconds
            guard elapsed >= 0, elapsed < 1 << Self.millisecondBits else { return .failure(.clockOutOfRange(millisecond: now)) }
            if now == state.lastMillisecond {
                guard state.sequence + 1 < Self.sequenceCount else { return .failure(.sequenceExhausted(millisecond: now)) }
                state.sequence += 1
            } else {
                state.lastMillisecond = now
                state.sequence = 0
            }
            return .success(Self.key(millisecond: now, worker: worker, sequence: state.sequence))
        }
        return try result.get()
    }

    /// Composes a key from a Unix millisecond, a worker id and a sequence number.
    public static func key(millisecond: Int64, worker: Int, sequence: Int) -> NeedleKey {
        (millisecond - epochMilliseconds) << (workerBits + sequenceBits) | Int64(worker) << sequenceBits | Int64(sequence)
    }

    /// Splits a key into its Unix millisecond, worker id and sequence number.
    public static func fields(of key: NeedleKey) -> (millisecond: Int64, worker: Int, sequence: Int) {
        let millisecond = key >> (workerBits + sequenceBits) + epochMilliseconds
        let worker = Int(key >> sequenceBits) & (workerCount - 1)
        return (millisecond, worker, Int(key) & (sequenceCount - 1))
    }
}
