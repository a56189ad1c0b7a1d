import BFSCluster
import BFSCore
import BFSHTTP
import BFSLoop
import BFSMetadata
import Logging

/// Cleans up what uploads and deletes leave behind (DESIGN.md §5): pending allocations past
/// their expiry are aborted (they become tombstones), and every due tombstone's needle is
/// deleted on each store holding its volume (`POST /del` on the api address). A tombstone is
/// forgotten only when every replica confirmed (ret 1, or 5001/5010: never written or already
/// deleted); otherwise it waits, doubling from `tombstone_retry` up to `tombstone_retry_max`.
///
/// Rounds run on a task, never on a loop; store calls go through an `HTTPClient` on one loop.
public final class DirectoryReaper: Sendable {
    /// Most rows one round takes from each query.
    static let batch = 256

    private let context: DirectoryContext
    private let loop: EventLoop
    private let client: HTTPClient
    private let logger: Logger

    /// A reaper calling stores from `loop`.
    public init(context: DirectoryContext, loop: EventLoop, logger: Logger) {
        self.context = context
        self.loop = loop
        self.client = HTTPClient(loop: loop, configuration: .init(connectTimeout: 2_000, requestTimeout: 10_000))
        self.logger = logger
    }

    /// Runs rounds every `reaper_interval` until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            await round()
            try? await Task.sleep(for: context.settings.reaperInterval)
        }
    }

    /// One round: expired allocations, then due tombstones.
    public func round() async {
        let metadata = context.metadata
        do {
            for allocation in try await metadata.expiredAllocations(before: context.now(), limit: Self.batch) {
                do {
                    try await metadata.abort(key: allocation.needle.key)
                    context.metrics.reapedAllocations.increment()
                } catch .allocationNotPending {
                    continue  // committed or aborted meanwhile, maybe by another directory
                }
            }
            for tombstone in try await metadata.pendingTombstones(now: context.now(), limit: Self.batch) {
                if await deleteEverywhere(tombstone.needle) {
                    do {
                        try await metadata.confirmTombstone(key: tombstone.needle.key)
                    } catch .tombstoneNotFound {
                        // Another directory confirmed it first.
                    }
                    context.metrics.confirmedTombstones.increment()
                } else {
                    let wait = retryDelay(attempts: tombstone.attempts)
                    try await metadata.postponeTombstone(key: tombstone.needle.key, until: context.now() + wait)
                    context.metrics.postponedTombstones.increment()
                }
            }
        } catch {
            logger.warning("reaper round failed", metadata: ["error": "\(error)"])
        }
    }

    /// Nanoseconds to wait after `attempts` failed rounds.
    func retryDelay(attempts: Int) -> Int64 {
        let base = context.settings.tombstoneRetry.wholeNanoseconds
        let cap = context.settings.tombstoneRetryMax.wholeNanoseconds
        // Doubling a large base overflows quickly: stop at the cap instead of shifting blindly.
        var delay = base
        for _ in 0..<max(0, attempts) where delay < cap { delay = delay > cap / 2 ? cap : delay * 2 }
        return min(cap, delay)
    }

    /// Whether every store holding the needle's volume confirmed its deletion.
    private func deleteEverywhere(_ needle: NeedleLocation) async -> Bool {
        let snapshot = context.snapshot()
        guard let volume = snapshot.volumes[needle.vid], !volume.replicas.isEmpty else { return false }
        let stores = snapshot.stores(of: needle.vid)
        guard stores.count == volume.replicas.count else { return false }
        var confirmed = true
        for store in stores {
            let deleted = await delete(needle, on: store.node.api)
            if !deleted {
                logger.info("needle delete not confirmed; will retry", metadata: [
                    "key": "\(needle.key)", "vid": "\(needle.vid)", "store": "\(store.id)"])
            }
            confirmed = confirmed && deleted
        }
        return confirmed
    }

    /// `POST /del` on one store's api address.
    private func delete(_ needle: NeedleLocation, on api: String) async -> Bool {
        guard let address = HostPort(api), address.port > 0 else { return false }
        let request = HTTPClientRequest(host: address.host, port: address.port, target: "/del",
                                        form: ["key": "\(needle.key)", "vid": "\(needle.vid)"])
        let client = self.client
        return await withCheckedContinuation { continuation in
            let queued = loop.execute {
                client.execute(request, maxBodySize: 4096) { result in
                    guard case .success(let response) = result, response.status == .ok else {
                        return continuation.resume(returning: false)
                    }
                    let text = response.text
                    let done = [Ret.ok, .needleNotExist, .needleDeleted].contains { text == "{\"ret\":\($0.rawValue)}" }
                    continuation.resume(returning: done)
                }
            }
            if !queued { continuation.resume(returning: false) }
        }
    }
}
