import Synchronization

/// The completions of ZooKeeper calls not answered yet. Closing a handle while calls are still
/// queued in the C client can drop their completions (seen with the mt client under load: 49 of
/// 50 creates issued just before `close()` never completed), which would leave callers waiting
/// forever. `failAll()`, run once `zookeeper_close` has returned, answers every call still
/// outstanding with `.closed`; each completion runs exactly once, whichever answer comes first.
final class OutstandingCalls: Sendable {
    private let state = Mutex<(next: UInt64, calls: [UInt64: @Sendable () -> Void])>((0, [:]))
    private let executor: CoordinationExecutor

    /// Completions run through `executor`, like every other answer of the client.
    init(executor: @escaping CoordinationExecutor) {
        self.executor = executor
    }

    /// `completion`, made to run at most once and registered until it has.
    func track<T: Sendable>(_ completion: @escaping CoordinationCompletion<T>) -> CoordinationCompletion<T> {
        let once = Once()
        let id = state.withLock { state -> UInt64 in
            state.next &+= 1
            return state.next
        }
        let tracked: CoordinationCompletion<T> = { [weak self] result in
            guard once.claim() else { return }
            self?.state.withLock { _ = $0.calls.removeValue(forKey: id) }
            completion(result)
        }
        state.withLock { $0.calls[id] = { tracked(.failure(.closed)) } }
        return tracked
    }

    /// How many calls wait for an answer.
    var count: Int { state.withLock { $0.calls.count } }

    /// Answers every outstanding call with `.closed` (through the executor).
    func failAll() {
        let calls = state.withLock { state in
            defer { state.calls = [:] }
            return Array(state.calls.values)
        }
        for call in calls { executor(call) }
    }
}

/// A flag that lets exactly one caller through.
private final class Once: Sendable {
    private let taken = Atomic<Bool>(false)

    func claim() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
}
