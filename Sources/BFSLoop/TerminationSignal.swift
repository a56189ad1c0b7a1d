import Glibc

/// Blocks the calling thread until SIGTERM or SIGINT arrives and returns its number; for a
/// service's main thread (`bfs store`, `bfs up`). The signal is watched on a small loop of its own,
/// so the service's loops never see it.
public func waitForTerminationSignal() throws -> Int32 {
    let loop = try EventLoop(name: "bfs-signals")
    loop.start()
    let received = Completion<Int32>()
    let watcher = try loop.submitAndWait { () throws -> SignalWatcherBox in
        SignalWatcherBox(try SignalWatcher(on: loop) { signum in received.fulfill(signum) })
    }
    let signum = received.wait()
    _ = watcher
    loop.shutdown()
    return signum
}

/// Hands a watcher from its loop to the waiting thread; the loop owns it, this only keeps a name.
struct SignalWatcherBox: @unchecked Sendable {
    let watcher: SignalWatcher
    init(_ watcher: SignalWatcher) { self.watcher = watcher }
}
