import BFSHTTP
import BFSLoop

/// Writes one needle to every replica of its volume at once (DESIGN §7): one multipart
/// `POST /upload` per store, all sharing the body's pieces, all in flight together. The
/// outcome is the list of stores that acknowledged (durably: a store answers `{"ret":1}` only
/// after `fdatasync`) and the first failure, if any. Loop thread only.
///
/// The replicas get the same bytes at the same moment, so once one has answered, a replica
/// still silent `lagTimeout` later is stuck (a hung disk, a store that stopped reading): its
/// request is cancelled and counts as failed, and the caller retries on another group. Without
/// that bound every upload placed on a group with one hung store would hold its body in the
/// upload budget for the whole `store_timeout`, and a busy proxy would soon refuse all uploads.
struct ReplicaWriter {
    let stores: StoreClient
    /// Milliseconds the other replicas may lag the first answer (`store_head_timeout`).
    let lagTimeout: UInt64

    /// Completes once every store answered or was given up.
    func write(_ allocation: AllocationRecord, chunks: [ArraySlice<UInt8>],
               _ done: @escaping (_ acknowledged: [String], _ failure: ProxyFailure?) -> Void) {
        final class Tally {
            var remaining: Int
            var acknowledged: [String] = []
            var failure: ProxyFailure?
            var pending: [String: HTTPClientTask] = [:]
            var lag: LoopTimer?
            init(_ count: Int) { remaining = count }
        }
        let tally = Tally(allocation.stores.count)
        let loop = stores.client.loop
        let lagTimeout = self.lagTimeout
        for store in allocation.stores {
            let task = stores.upload(to: store, key: allocation.key, cookie: allocation.cookie, vid: allocation.vid, chunks: chunks) { result in
                tally.pending[store] = nil
                switch result {
                case .success: tally.acknowledged.append(store)
                case .failure(let failure): tally.failure = tally.failure ?? failure
                }
                tally.remaining -= 1
                if tally.remaining == 0 {
                    tally.lag?.close()
                    return done(tally.acknowledged, tally.failure)
                }
                guard tally.lag == nil else { return }
                tally.lag = loop.scheduleTimer(after: lagTimeout) {
                    for (late, task) in tally.pending {
                        tally.failure = tally.failure ?? ProxyFailure(.gatewayTimeout,
                            "store \(late) did not answer the upload within \(lagTimeout) ms of its peers")
                        task.cancel()
                    }
                }
            }
            // A store whose request failed at once has answered already.
            if let task, task.isPending { tally.pending[store] = task }
        }
    }
}
