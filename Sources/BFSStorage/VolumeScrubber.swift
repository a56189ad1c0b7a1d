#if canImport(Glibc)
import Glibc
#endif

/// What a scrub pass found.
public struct ScrubReport: Sendable, Equatable {
    /// Bytes of block walked.
    public var bytesScanned: Int64 = 0
    /// Needles whose bytes verified.
    public var needlesVerified = 0
    /// Byte offsets of damaged regions (bad magic, flag, size, footer, checksum or padding).
    public var damagedOffsets: [Int64] = []
    /// Keys the needle map calls live whose needle lies in a damaged region (their reads will fail
    /// verification; another replica must repair them).
    public var damagedLiveKeys: [Int64] = []
}

/// The background scrubber (DESIGN.md §4.5): data served by `sendfile` is never checksummed on the
/// way out, so this walks a volume's durable bytes at a throttled rate, verifies every needle's CRC,
/// and reports damage. Runs on a thread of its own; never on a loop thread.
public enum VolumeScrubber {
    /// Walks `volume` once at no more than `bytesPerSecond` (0 = unthrottled); `shouldStop` is
    /// polled between needles. Uses a lease on the current block, so a compaction swap mid-scrub
    /// is harmless (the pass finishes on the old file).
    public static func scrub(_ volume: Volume, bytesPerSecond: Int64 = 0,
                             shouldStop: () -> Bool = { false }) -> ScrubReport {
        let (block, end) = volume.shared.withLock { ($0.block, $0.durableEnd) }
        var report = ScrubReport()
        var damaged: [(Int64, Int64)] = []
        let started = monotonicSeconds()
        BlockScan.walk(block.file, to: end, settings: volume.settings) { event in
            switch event {
            case .needle(let offset, let header):
                report.needlesVerified += 1
                report.bytesScanned = offset + Int64(header.totalSize)
            case .damaged(let offset, let resume, _):
                report.damagedOffsets.append(offset)
                damaged.append((offset, resume))
                report.bytesScanned = resume
            case .torn(let offset):
                report.damagedOffsets.append(offset)
                damaged.append((offset, end))
                report.bytesScanned = end
            }
            if bytesPerSecond > 0 {
                let due = Double(report.bytesScanned) / Double(bytesPerSecond) - (monotonicSeconds() - started)
                if due > 0 { usleep(UInt32(min(due, 1) * 1_000_000)) }
            }
            return !shouldStop()
        }
        if !damaged.isEmpty {
            // In chunks, so GETs are not held up; a key moved by a concurrent insert may be
            // missed, and the next pass finds it.
            let keys = volume.collectMap(exact: false) { key, loc -> Int64? in
                guard !loc.isDeleted else { return nil }
                let at = Int64(loc.offsetUnits) * 8
                return damaged.contains(where: { at >= $0.0 && at < $0.1 }) ? key : nil
            }
            report.damagedLiveKeys = Array(Set(keys)).sorted()
        }
        return report
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
