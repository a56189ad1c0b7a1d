import Foundation
import Synchronization

/// Whether `/ping`'s drain file exists (settings `ping.drain_file`, bfs's `/tmp/proxy.ping`),
/// checked on a thread of its own every `interval`, so `/ping` on a loop thread reads a flag and
/// never waits on the file system (a stat on a hung network mount would stall every connection
/// of the loop). Creating or removing the file takes effect within one interval.
final class DrainFileWatch: Sendable {
    /// Seconds between two checks of the file.
    static let interval: TimeInterval = 0.25

    private let path: String
    private let probe: @Sendable (String) -> Bool
    private let present: Atomic<Bool>
    private let stopped = Atomic<Bool>(false)

    /// A watch of `path`, checked once now (on the calling thread, which must not be a loop) and
    /// then by its thread until `stop()`.
    init(path: String, probe: @escaping @Sendable (String) -> Bool) {
        self.path = path
        self.probe = probe
        present = Atomic(probe(path))
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: Self.interval)
                present.store(probe(path), ordering: .relaxed)
            }
        }
        thread.name = "bfs-proxy-drain"
        thread.start()
    }

    /// Whether the file existed at the last check.
    var isPresent: Bool { present.load(ordering: .relaxed) }

    /// Ends the thread (within one interval).
    func stop() { stopped.store(true, ordering: .relaxed) }
}
