import BFSCoordination
import BFSCore

/// The one place a store's status is decided, from everything probed about it (DESIGN.md §6).
///
/// Both probe loops and the `/live` watch feed the same value, and each input stays in force
/// until the same kind of input replaces it: a needle probe that answered 500 keeps the store
/// `Fail` until that volume's next needle probe passes, however many `/info` rounds succeed in
/// between. That is what stops the flapping of Go bfs, whose health loop reset to `Health` on
/// each round what its needle loop had just set to `Fail` (reference §3.2, §6.17).
///
/// | Input                                                        | Verdict  |
/// |--------------------------------------------------------------|----------|
/// | `/live` vanished (store known to keep one)                   | `Fail`   |
/// | last `/info` unreachable, non-200, or not bfs JSON           | `Fail`   |
/// | a volume with `last_err`, or whose last needle probe failed  | `Fail`   |
/// | at least one volume, and every volume nearly full            | `Read`   |
/// | otherwise (no volumes included)                              | `Health` |
///
/// Leaving `Fail` takes `goodChecksToRecover` consecutive `/info` rounds whose verdict is not
/// `Fail`; any `Fail` verdict starts the count again. Until the first `/info` round the status
/// the store already had is kept.
struct StoreHealth: Sendable, Equatable {
    /// What the last `/info` probe gave.
    enum InfoResult: Sendable, Equatable {
        /// The store answered bfs `/info` JSON.
        case answered(StoreInfo)
        /// No usable answer (carries why, for logs).
        case failed(String)
    }

    /// `/info` rounds without a `Fail` verdict needed to leave `Fail`.
    let goodChecksToRecover: Int
    /// A volume with fewer free bytes than this counts as full.
    let fullBelowBytes: UInt64
    /// The status decided last (the published one once written).
    private(set) var status: StoreNode.Status
    /// Consecutive `/info` rounds without a `Fail` verdict.
    private(set) var goodChecks = 0
    private var info: InfoResult?
    private var failedNeedles: Set<VolumeID> = []
    private var liveLost = false

    /// Starts from the status the store node carries now.
    init(status: StoreNode.Status, goodChecksToRecover: Int, fullBelowBytes: UInt64) {
        self.status = status
        self.goodChecksToRecover = max(1, goodChecksToRecover)
        self.fullBelowBytes = fullBelowBytes
    }

    /// The last `/info` answer, if it was usable.
    var latestInfo: StoreInfo? {
        if case .answered(let info) = info { return info }
        return nil
    }

    /// Records an `/info` round (one check) and answers the status.
    @discardableResult
    mutating func record(info result: InfoResult) -> StoreNode.Status {
        info = result
        let verdict = self.verdict
        goodChecks = verdict == .fail ? 0 : goodChecks + 1
        return settle(verdict)
    }

    /// Records one volume's needle probe: `failed` for a verification failure (HTTP 500).
    @discardableResult
    mutating func record(needleOf vid: VolumeID, failed: Bool) -> StoreNode.Status {
        if failed { failedNeedles.insert(vid) } else { failedNeedles.remove(vid) }
        if failed { goodChecks = 0 }
        return settle(verdict)
    }

    /// Records whether the store's `/live` node is present (only for stores that keep one).
    @discardableResult
    mutating func record(live: Bool) -> StoreNode.Status {
        liveLost = !live
        if !live { goodChecks = 0 }
        return settle(verdict)
    }

    /// The verdict of the current inputs alone, before the recovery rule.
    var verdict: StoreNode.Status {
        if liveLost { return .fail }
        switch info {
        case nil:
            return failedNeedles.isEmpty ? status : .fail
        case .failed:
            return .fail
        case .answered(let info):
            let present = Set(info.volumes.map(\.id))
            if info.volumes.contains(where: \.hasError) || !failedNeedles.isDisjoint(with: present) { return .fail }
            if !info.volumes.isEmpty && info.volumes.allSatisfy({ $0.freeBytes < fullBelowBytes }) { return .read }
            return .health
        }
    }

    /// Applies the recovery rule to a verdict and makes it the status.
    private mutating func settle(_ verdict: StoreNode.Status) -> StoreNode.Status {
        if verdict == .fail || status != .fail || goodChecks >= goodChecksToRecover {
            status = verdict
        }
        return status
    }
}
