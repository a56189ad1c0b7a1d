import BFSHTTP

/// Writes one needle to every replica of its volume at once (DESIGN §7): one multipart
/// `POST /upload` per store, all sharing the body's pieces, all in flight together. The
/// outcome is the list of stores that acknowledged (durably: a store answers `{"ret":1}` only
/// after `fdatasync`) and the first failure, if any. Loop thread only.
struct ReplicaWriter {
    let stores: StoreClient

    /// Completes once every store answered.
    func write(_ allocation: AllocationRecord, chunks: [ArraySlice<UInt8>],
               _ done: @escaping (_ acknowledged: [String], _ failure: ProxyFailure?) -> Void) {
        final class Tally {
            var remaining: Int
            var acknowledged: [String] = []
            var failure: ProxyFailure?
            init(_ count: Int) { remaining = count }
        }
        let tally = Tally(allocation.stores.count)
        for store in allocation.stores {
            stores.upload(to: store, key: allocation.key, cookie: allocation.cookie, vid: allocation.vid, chunks: chunks) { result in
                switch result {
                case .success: tally.acknowledged.append(store)
                case .failure(let failure): tally.failure = tally.failure ?? failure
                }
                tally.remaining -= 1
                if tally.remaining == 0 { done(tally.acknowledged, tally.failure) }
            }
        }
    }
}
