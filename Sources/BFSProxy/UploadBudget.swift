import Synchronization

/// The process-wide bound on upload bytes held in memory (settings `proxy.upload_budget`).
///
/// A PUT reserves its declared length before reading (or, when chunked, each piece as it
/// arrives) and releases everything once answered. A reservation that would pass the budget
/// fails, and the PUT is answered 503 with `Retry-After`: memory stays bounded whatever the
/// number of concurrent uploads.
final class UploadBudget: Sendable {
    /// The budget in bytes.
    let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    /// Takes `bytes` from the budget; false (and nothing taken) when that would pass it.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while true {
            guard current + bytes <= limit else { return false }
            let (exchanged, original) = used.compareExchange(expected: current, desired: current + bytes,
                                                             ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
    }

    /// Gives `bytes` back.
    func release(_ bytes: Int) {
        used.subtract(bytes, ordering: .acquiringAndReleasing)
    }

    /// Bytes reserved right now.
    var inUse: Int { used.load(ordering: .relaxed) }
}
