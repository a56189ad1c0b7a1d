import BFSCore
import Foundation
import Synchronization

/// Long actions (compactions, repairs) that ops started and follows: the API answers a job id
/// at once and `GET /api/jobs/<id>` shows per-store progress read from the stores' `/info`.
///
/// Job JSON: `{"id","kind":"compact"|"repair","vid","state":"running"|"done"|"failed",
/// "started" (Unix ms),"stores":[{"store","state","done","total","progress" (0...1),"error"?}]}`.
public final class OpsJobs: Sendable {
    /// One store's part of a job.
    public struct Part: Sendable, Codable, Equatable {
        /// The store id.
        public var store: StoreID
        /// `starting`, `running`, `done` or `failed`.
        public var state: String
        /// Bytes done and to do, as the store reports them (0 while unknown).
        public var done: Int64, total: Int64
        /// `done / total`, 1 once the store reports the job done.
        public var progress: Double
        /// Why it failed.
        public var error: String?
    }

    /// A job as the API shows it.
    public struct Job: Sendable, Codable, Equatable {
        /// The job id.
        public var id: String
        /// `compact` or `repair`.
        public var kind: String
        /// The volume.
        public var vid: Int32
        /// `running` until every part is done or failed; then `done`, or `failed` if any failed.
        public var state: String
        /// Unix milliseconds at the start.
        public var started: Int64
        /// One entry per store.
        public var stores: [Part]
    }

    private struct State {
        var jobs: [String: Job] = [:]
        var order: [String] = []
        var next = 1
    }

    private let state = Mutex(State())
    /// Finished jobs kept for the API, newest first; older ones are dropped.
    static let kept = 50

    /// No jobs yet.
    public init() {}

    /// Registers a job over `stores` and answers its id.
    func begin(kind: String, vid: Int32, stores: [StoreID]) -> String {
        state.withLock { s in Self.add(&s, kind: kind, vid: vid, stores: stores) }
    }

    /// The running job of `kind` on `vid` if there is one (`isNew` false), else a new one over
    /// `stores`: repeating an action follows the job already under way instead of adding another.
    func beginUnlessRunning(kind: String, vid: Int32, stores: [StoreID]) -> (id: String, isNew: Bool) {
        state.withLock { s in
            let running = s.order.first { id in
                s.jobs[id].map { $0.kind == kind && $0.vid == vid && $0.state == "running" } ?? false
            }
            if let running { return (running, false) }
            return (Self.add(&s, kind: kind, vid: vid, stores: stores), true)
        }
    }

    private static func add(_ s: inout State, kind: String, vid: Int32, stores: [StoreID]) -> String {
        let id = "\(kind)-\(vid)-\(s.next)"
        s.next += 1
        let parts = stores.map { Part(store: $0, state: "starting", done: 0, total: 0, progress: 0, error: nil) }
        s.jobs[id] = Job(id: id, kind: kind, vid: vid, state: "running",
                         started: Int64(Date().timeIntervalSince1970 * 1000), stores: parts)
        s.order.append(id)
        if s.order.count > kept, let old = s.order.first(where: { s.jobs[$0]?.state != "running" }) {
            s.order.removeAll { $0 == old }
            s.jobs[old] = nil
        }
        return id
    }

    /// Replaces one store's part; the job's state follows its parts.
    func update(_ id: String, _ part: Part) {
        state.withLock { s in
            guard var job = s.jobs[id], let i = job.stores.firstIndex(where: { $0.store == part.store }) else { return }
            job.stores[i] = part
            let finished = job.stores.allSatisfy { $0.state == "done" || $0.state == "failed" }
            job.state = !finished ? "running" : job.stores.contains { $0.state == "failed" } ? "failed" : "done"
            s.jobs[id] = job
        }
    }

    /// The job with this id.
    public func job(_ id: String) -> Job? { state.withLock { $0.jobs[id] } }

    /// Every kept job, newest first.
    public var all: [Job] { state.withLock { s in s.order.reversed().compactMap { s.jobs[$0] } } }
}
