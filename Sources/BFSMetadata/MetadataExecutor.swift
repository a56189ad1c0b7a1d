import Foundation
import Synchronization

/// One queued call: `perform` runs on a connection's thread and returns what to deliver once the
/// work is durable; `fail` reports an error instead.
struct MetadataJob: Sendable {
    let perform: @Sendable (SQLConnection) throws(MetadataError) -> @Sendable () -> Void
    let fail: @Sendable (MetadataError) -> Void

    /// A job computing `T` and handing it to `completion`.
    init<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws(MetadataError) -> T,
                      completion: @escaping MetadataCompletion<T>) {
        perform = { connection throws(MetadataError) in
            let value = try body(connection)
            return { completion(.success(value)) }
        }
        fail = { completion(.failure($0)) }
    }
}

/// A bounded FIFO of jobs shared by the threads of one kind (writers or readers).
///
/// `@unchecked Sendable`: every field is touched only with `condition` locked.
final class MetadataJobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [MetadataJob] = []
    private var head = 0
    private var closed = false
    private let limit: Int

    /// A queue refusing jobs beyond `limit` waiting ones.
    init(limit: Int) { self.limit = limit }

    /// Queues `job`, or fails it at once when the queue is full or closed.
    func submit(_ job: MetadataJob) {
        condition.lock()
        let refusal: MetadataError? = closed ? .closed : (jobs.count - head >= limit ? .overloaded : nil)
        if refusal == nil {
            jobs.append(job)
            condition.signal()
        }
        condition.unlock()
        if let refusal { job.fail(refusal) }
    }

    /// Waits for work and takes up to `max` jobs; nil once closed and drained.
    func take(max: Int) -> [MetadataJob]? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
        guard head < jobs.count else { return nil }
        let end = min(jobs.count, head + max)
        let batch = Array(jobs[head..<end])
        head = end
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 {
            jobs.removeFirst(head)
            head = 0
        }
        return batch
    }

    /// Refuses new jobs; queued ones still run.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The store's threads: each owns one connection and serves one queue. Writer threads group
/// commit: everything queued (up to `batchLimit`) runs in one transaction, each job inside its
/// own SAVEPOINT so a job's constraint failure rolls back that job alone; one COMMIT (one fsync)
/// then makes the whole batch durable, and only then are the completions called.
final class MetadataExecutor: Sendable {
    private let writes: MetadataJobQueue
    private let reads: MetadataJobQueue
    private let finished = DispatchGroup()
    private let transactions = Atomic<Int>(0)

    /// Write transactions committed so far (each may carry many calls).
    var transactionCount: Int { transactions.load(ordering: .relaxed) }

    /// Starts one thread per connection. SQLite passes one writer (it allows one at a time);
    /// PostgreSQL a few, each batching on its own.
    init(writers: [SQLConnection], readers: [SQLConnection], queueLimit: Int, batchLimit: Int) {
        writes = MetadataJobQueue(limit: queueLimit)
        reads = MetadataJobQueue(limit: queueLimit)
        for (index, connection) in writers.enumerated() {
            start(name: "bfs-meta-w\(index)", connection: connection) { [self] connection in
                while let batch = writes.take(max: batchLimit) {
                    if Self.commit(batch, on: connection) { transactions.add(1, ordering: .relaxed) }
                }
            }
        }
        for (index, connection) in readers.enumerated() {
            start(name: "bfs-meta-r\(index)", connection: connection) { [reads] connection in
                while let batch = reads.take(max: 1) { Self.read(batch, on: connection) }
            }
        }
    }

    /// Queues a write (group committed).
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws(MetadataError) -> T,
                            completion: @escaping MetadataCompletion<T>) {
        writes.submit(MetadataJob(body, completion: completion))
    }

    /// Queues a read (one statement or a consistent snapshot is enough; no transaction).
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLConnection) throws(MetadataError) -> T,
                           completion: @escaping MetadataCompletion<T>) {
        reads.submit(MetadataJob(body, completion: completion))
    }

    /// Runs queued jobs, stops every thread and closes its connection, then calls `completion`
    /// (on a background queue; it may block until the last batch commits).
    func close(completion: @escaping @Sendable () -> Void) {
        writes.close()
        reads.close()
        finished.notify(queue: .global(), execute: completion)
    }

    private func start(name: String, connection: SQLConnection, body: @escaping @Sendable (SQLConnection) -> Void) {
        finished.enter()
        // The connection moves to its thread and is used nowhere else.
        nonisolated(unsafe) let owned = connection
        let thread = Thread { [finished] in
            body(owned)
            owned.close()
            finished.leave()
        }
        thread.name = name
        thread.start()
    }

    private static func read(_ batch: [MetadataJob], on connection: SQLConnection) {
        connection.recoverIfBroken()
        for job in batch {
            do throws(MetadataError) { try job.perform(connection)() } catch { job.fail(error) }
        }
    }

    /// Rounds a job that keeps losing deadlock or serialization conflicts is run again.
    private static let conflictRetries = 3

    /// Runs `batch` in one transaction; false if the transaction itself failed.
    ///
    /// A job that loses a deadlock (two directories' batches locking the same rows in opposite
    /// orders) is rolled back to its savepoint and run again in a transaction of its own after
    /// this one commits: a retry inside this transaction would wait on the locks its earlier
    /// jobs still hold for the other batch, and deadlock again.
    private static func commit(_ batch: [MetadataJob], on connection: SQLConnection, round: Int = 0) -> Bool {
        connection.recoverIfBroken()
        var deliveries: [@Sendable () -> Void] = []
        var failures: [(MetadataJob, MetadataError)] = []
        var again: [MetadataJob] = []
        // Each control statement is a round trip to PostgreSQL: the RELEASE of one job travels
        // with the SAVEPOINT of the next (and the last with the COMMIT).
        var opening = connection.dialect.begin + "; "
        do throws(SQLFailure) {
            for job in batch {
                try connection.script(opening + "SAVEPOINT job")
                let outcome: Result<@Sendable () -> Void, MetadataError>
                do throws(MetadataError) { outcome = .success(try job.perform(connection)) } catch { outcome = .failure(error) }
                switch outcome {
                case .success(let delivery):
                    opening = "RELEASE job; "
                    deliveries.append(delivery)
                case .failure(let error):
                    try connection.script("ROLLBACK TO job; RELEASE job")
                    opening = ""
                    if case .conflict = error, round < conflictRetries { again.append(job) } else { failures.append((job, error)) }
                }
            }
            try connection.script(opening + "COMMIT")
        } catch {
            // The transaction itself failed (connection lost, disk full): nothing in it happened.
            try? connection.script("ROLLBACK")
            for job in batch { job.fail(.backend("transaction failed: \(error)")) }
            return false
        }
        for delivery in deliveries { delivery() }
        for (job, error) in failures { job.fail(error) }
        if !again.isEmpty { _ = commit(again, on: connection, round: round + 1) }
        return true
    }
}
