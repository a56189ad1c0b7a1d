import Glibc
import Synchronization

/// N event loops on N threads; services spread listeners and work over them.
public final class EventLoopGroup: Sendable {
    /// The loops, in creation order.
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    /// Creates and starts `count` loops (default: one per online core).
    public init(loopCount count: Int = EventLoopGroup.coreCount, name: String = "bfs-loop") throws(UVError) {
        precondition(count > 0, "an EventLoopGroup needs at least one loop")
        var loops: [EventLoop] = []
        for i in 0..<count { loops.append(try EventLoop(name: "\(name)-\(i)")) }
        self.loops = loops
        for loop in loops { loop.start() }
    }

    /// The number of online cores.
    public static var coreCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// The next loop, round robin (from any thread).
    public func next() -> EventLoop {
        loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Shuts every loop down and joins its thread (idempotent). Not from a loop thread.
    public func shutdown() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for loop in loops { loop.shutdown() }
    }
}
