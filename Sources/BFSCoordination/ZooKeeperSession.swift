import CZooKeeper
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Session handling of `ZooKeeperCoordination`: events, expiry recovery and close.
///
/// Threads: `didReceiveEvent` runs on the C completion thread of the handle; anything that
/// blocks (closing the expired handle, the test hook) runs on `control`.
extension ZooKeeperCoordination {
    /// Opens a handle for the next generation (under the lock); false if the C client refused.
    func openHandle(_ state: inout State) -> Bool {
        state.generation += 1
        let context = Unmanaged.passRetained(ZooKeeperHandleContext(client: self, generation: state.generation))
        guard let zh = zookeeper_init(hosts, ZooKeeperC.watcher, sessionTimeout, nil, context.toOpaque(), 0) else {
            context.release()
            return false
        }
        state.handle = zh
        state.context = context
        state.connected = false
        return true
    }

    /// The global watcher's entry point: a session change or a fired watch on a path.
    func didReceiveEvent(generation: UInt64, type: Int32, state zkState: Int32, path: String) {
        if type == ZOO_SESSION_EVENT {
            didChangeSession(generation: generation, zkState: zkState)
            return
        }
        let kinds: [(WatchEventKind, child: Bool)]
        switch type {
        case ZOO_CREATED_EVENT: kinds = [(.created, false)]
        case ZOO_DELETED_EVENT: kinds = [(.deleted, false), (.deleted, true)]
        case ZOO_CHANGED_EVENT: kinds = [(.dataChanged, false)]
        case ZOO_CHILD_EVENT: kinds = [(.childrenChanged, true)]
        default: return
        }
        let fired = state.withLock { state -> [(PendingWatch, WatchEventKind)] in
            guard state.generation == generation else { return [] }
            var fired: [(PendingWatch, WatchEventKind)] = []
            for (kind, child) in kinds {
                let armed = child ? state.childWatches.removeValue(forKey: path) : state.dataWatches.removeValue(forKey: path)
                fired += (armed ?? [:]).sorted { $0.key < $1.key }.map { ($0.value, kind) }
            }
            return fired
        }
        for (watch, kind) in fired { deliver(watch, kind) }
    }

    private func didChangeSession(generation: UInt64, zkState: Int32) {
        switch zkState {
        case ZOO_CONNECTED_STATE:
            let action = state.withLock { state -> ([SessionListener], EphemeralRegistry?)? in
                guard state.generation == generation, !state.closed, !state.connected else { return nil }
                state.connected = true
                defer { state.recovering = false }
                return (state.listeners, state.recovering ? state.pendingRecovery : nil)
            }
            guard let (listeners, toRecreate) = action else { return }
            if let toRecreate {
                recreate(toRecreate.ordered[...], recovery: EphemeralRecovery(), generation: generation)
            } else {
                notify(listeners, .connected)
            }
        case ZOO_CONNECTING_STATE, ZOO_ASSOCIATING_STATE:
            let lost = state.withLock { state -> ([SessionListener], UInt64)? in
                guard state.generation == generation, state.connected else { return nil }
                state.connected = false
                state.disconnects += 1
                return (state.listeners, state.disconnects)
            }
            guard let (listeners, epoch) = lost else { return }
            notify(listeners, .disconnected)
            // The server decides expiry, but a client cut off for twice the session timeout can
            // never be told: an ensemble rebuilt from empty has no record of the session, and the
            // C client refuses to attach to a server whose history is older than what it saw. By
            // then the session is certainly gone (or will be), so give it up and start afresh.
            let wait = DispatchTimeInterval.milliseconds(Int(sessionTimeout) * 2)
            control.asyncAfter(deadline: .now() + wait) {
                let stillLost = self.state.withLock { state in
                    state.generation == generation && !state.closed && !state.connected && state.disconnects == epoch
                }
                if stillLost { self.replaceExpiredHandle(generation: generation) }
            }
        case ZOO_EXPIRED_SESSION_STATE:
            // zookeeper_close joins this very thread: hand the replacement to the control queue.
            control.async { self.replaceExpiredHandle(generation: generation) }
        default:
            break
        }
    }

    /// Closes the expired handle, fires pending watches, and opens a new session.
    private func replaceExpiredHandle(generation: UInt64) {
        guard let (zh, context, pending, listeners) = state.withLock({ state -> (OpaquePointer, Unmanaged<ZooKeeperHandleContext>?, [PendingWatch], [SessionListener])? in
            guard state.generation == generation, !state.closed, let zh = state.handle else { return nil }
            let context = state.context
            state.handle = nil
            state.context = nil
            state.connected = false
            let pending = takeAllWatches(&state)
            // The plan is only cleared when a recovery finished in its own session, so the
            // ephemerals of an interrupted recovery are re-created by this one.
            var plan = state.pendingRecovery
            plan.merge(state.ephemerals)
            state.pendingRecovery = plan
            state.ephemerals = EphemeralRegistry()
            state.recovering = true
            return (zh, context, pending, state.listeners)
        }) else { return }
        zookeeper_close(zh)
        context?.release()
        for watch in pending { deliver(watch, .sessionExpired) }
        notify(listeners, .expired)
        reopen()
    }

    /// Opens the next handle, retrying each second if the C client refuses (out of memory,
    /// unresolvable host).
    private func reopen() {
        let opened = state.withLock { state in state.closed || openHandle(&state) }
        if !opened { control.asyncAfter(deadline: .now() + 1) { self.reopen() } }
    }

    /// Re-creates remembered ephemerals one by one in the new session, then reports.
    private func recreate(_ queue: ArraySlice<(path: String, record: EphemeralRegistry.Record)>,
                          recovery: EphemeralRecovery, generation: UInt64) {
        guard let (old, record) = queue.first else {
            let listeners = state.withLock { state -> [SessionListener]? in
                // Expired again meanwhile: the plan is still pending, the next recovery runs it.
                guard state.generation == generation, !state.closed else { return nil }
                state.ephemerals.merge(recovery.registry)
                state.pendingRecovery = EphemeralRegistry()
                return state.listeners
            }
            if let listeners { notify(listeners, recovery.event) }
            return
        }
        let next: @Sendable (String?) -> Void = { created in
            var recovery = recovery
            recovery.note(old: old, record: record, newPath: created.map(self.root.relative))
            self.recreate(queue.dropFirst(), recovery: recovery, generation: generation)
        }
        guard let full = try? root.full(record.requestedPath, sequential: record.mode.contains(.sequential)) else { return next(nil) }
        let fail: CoordinationCompletion<String> = { _ in next(nil) }
        submitRawCall(record.requestedPath, full: full, fail) { zh in
            let reply = ZooKeeperReply<String?> { rc, created in next(rc == ZOK.rawValue ? created : nil) }
            let context = reply.retainedPointer()
            let rc = ZooKeeperC.withBytes(record.data) { bytes, count in
                zoo_acreate(zh, full, bytes, count, czk_open_acl_unsafe(), ZooKeeperC.flags(record.mode), ZooKeeperC.stringCompletion, context)
            }
            if rc != ZOK.rawValue { ZooKeeperReply<String?>.cancel(context) }
            return rc
        }
    }

    /// Registers a session listener; it gets `.connected` at once if the session is up.
    public func addSessionListener(_ listener: @escaping SessionListener) {
        let connected = state.withLock { state in
            if !state.closed { state.listeners.append(listener) }
            return state.connected && !state.closed
        }
        if connected { executor { listener(.connected) } }
    }

    /// Ends the session; `completion` runs through the executor once it is closed.
    public func close(completion: (@Sendable () -> Void)?) {
        let (handle, context) = state.withLock { state -> (ClosingHandle?, Unmanaged<ZooKeeperHandleContext>?) in
            guard !state.closed else { return (nil, nil) }
            state.closed = true
            state.listeners = []
            _ = takeAllWatches(&state)
            defer { (state.handle, state.context) = (nil, nil) }
            return (state.handle.map(ClosingHandle.init), state.context)
        }
        control.async {
            if let handle { zookeeper_close(handle.zh) }
            context?.release()
            // The C client answers nothing after its close returned; what it dropped ends here.
            self.outstanding.failAll()
            if let completion { self.executor(completion) }
        }
    }

    /// Test hook: makes the server expire this client's session, the way an operator's network
    /// partition would. A second handle attaches to the same session and closes it; repeated
    /// until the server answers that the session is gone (the first client may reattach first).
    package func expireSessionForTesting(_ done: @escaping @Sendable () -> Void) {
        control.async {
            guard var id = self.state.withLock({ state in state.handle.flatMap { zoo_client_id($0)?.pointee } }) else { return done() }
            for _ in 0..<50 {
                guard let twin = zookeeper_init(self.hosts, ZooKeeperC.ignoringWatcher, self.sessionTimeout, &id, nil, 0) else { break }
                var zkState = zoo_state(twin)
                for _ in 0..<5000 where zkState != ZOO_CONNECTED_STATE && zkState != ZOO_EXPIRED_SESSION_STATE {
                    usleep(1000)
                    zkState = zoo_state(twin)
                }
                zookeeper_close(twin)
                if zkState == ZOO_EXPIRED_SESSION_STATE { break }
            }
            done()
        }
    }

    private func takeAllWatches(_ state: inout State) -> [PendingWatch] {
        let pending = (state.dataWatches.values.flatMap(\.self) + state.childWatches.values.flatMap(\.self))
            .sorted { $0.key < $1.key }.map(\.value)
        state.dataWatches = [:]
        state.childWatches = [:]
        return pending
    }

    private func deliver(_ watch: PendingWatch, _ kind: WatchEventKind) {
        let handler = watch.handler
        let event = WatchEvent(kind: kind, path: watch.path)
        executor { handler(event) }
    }

    private func notify(_ listeners: [SessionListener], _ event: SessionEvent) {
        for listener in listeners { executor { listener(event) } }
    }
}

/// A handle on its way to `zookeeper_close` on the control queue. Nothing else uses it once it
/// left the state under the lock, so handing it to another thread is safe.
struct ClosingHandle: @unchecked Sendable {
    let zh: OpaquePointer
}
