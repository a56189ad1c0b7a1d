import BFSCore
import BFSStorage
import Foundation
import Logging
import Synchronization

/// Runs the CRC scrubber (DESIGN.md §4.5) over every volume, one at a time, at the configured
/// byte rate, then rests for the configured interval. Data sent with `sendfile` is never
/// checksummed on the way out; this is what finds rot before a reader does. Its own thread:
/// never a loop, never the libuv pool.
final class StoreScrubber: Sendable {
    private let context: StoreContext
    private let logger: Logger
    private let stopping = Mutex(false)
    private let wake = NSCondition()

    init(context: StoreContext, logger: Logger) {
        self.context = context
        self.logger = logger
    }

    /// Starts the scrub thread unless the rate is 0 (scrubbing off).
    func start() {
        guard context.settings.scrubRate > 0 else { return }
        let thread = Thread { [self] in run() }
        thread.name = "bfs-scrub"
        thread.start()
    }

    /// Stops after the needle being verified.
    func stop() {
        stopping.withLock { $0 = true }
        wake.lock()
        wake.broadcast()
        wake.unlock()
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    private func run() {
        // A first pass soon after start, so damage on disk shows up in /info without a day's wait.
        let interval = Double(context.settings.scrubInterval.wholeMilliseconds) / 1000
        rest(seconds: min(60, interval))
        while !isStopping {
            for id in context.volumes.volumeIDs {
                guard !isStopping, let volume = context.volumes.volume(id) else { break }
                let report = VolumeScrubber.scrub(volume, bytesPerSecond: context.settings.scrubRate) { self.isStopping }
                guard !isStopping else { break }
                context.didScrub(id, report)
                if !report.damagedOffsets.isEmpty {
                    logger.error("scrub found damage", metadata: [
                        "vid": "\(id)", "offsets": "\(report.damagedOffsets.prefix(20))",
                        "live_keys": "\(report.damagedLiveKeys.prefix(20))"])
                }
            }
            rest(seconds: interval)
        }
    }

    private func rest(seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        wake.lock()
        while !isStopping && wake.wait(until: until) {}
        wake.unlock()
    }
}
