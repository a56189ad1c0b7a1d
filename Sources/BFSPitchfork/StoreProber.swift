import BFSCluster
import BFSCoordination
import BFSCore
import BFSHTTP
import BFSLoop
import Logging

/// What every prober of one pitchfork shares.
struct ProbeContext {
    let loop: EventLoop
    let client: HTTPClient
    let publisher: StatusPublisher
    let metrics: PitchforkMetrics
    let settings: PitchforkSettings
    let logger: Logger
}

/// Probes one owned store and publishes what `StoreHealth` decides (DESIGN.md §6).
///
/// Lives on the pitchfork's loop: timers fire there, probes go out through the loop's
/// `HTTPClient` and answer there, so no state needs a lock and nothing blocks. Coordination
/// writes run as tasks and report back to the loop (hence `@unchecked Sendable`: the reference
/// travels through those tasks, the state is only touched on the loop). At most one `/info`
/// probe, one needle round and one write of each kind are in flight per store: a slow store
/// never piles up requests.
final class StoreProber: @unchecked Sendable {
    private(set) var node: StoreNode
    private var health: StoreHealth
    /// The status coordination holds as far as this prober knows.
    private var published: StoreNode.Status
    private var sawLive = false
    private let context: ProbeContext
    private var infoTimer: LoopTimer?
    private var needleTimer: LoopTimer?
    private var infoInFlight = false
    private var needlesInFlight = 0
    private var neverNeedleProbed = true
    private var publishingStatus = false
    private var writtenStates: [VolumeID: VolumeState] = [:]
    private var pendingStates: [VolumeID: VolumeState] = [:]
    private var writingStates = false
    private var stopped = false

    /// A prober for `store`, starting from the status its node carries.
    init(store: ClusterStore, context: ProbeContext) {
        node = store.node
        published = store.node.status
        health = StoreHealth(status: store.node.status, goodChecksToRecover: context.settings.goodChecksToRecover,
                             fullBelowBytes: UInt64(context.settings.fullBelow))
        self.context = context
        observeLive(store.isLive)
    }

    /// The status decided last.
    var status: StoreNode.Status { health.status }
    /// Consecutive good `/info` rounds so far.
    var goodChecks: Int { health.goodChecks }

    /// Starts both probe loops; the first `/info` probe goes out at once.
    func start() {
        let settings = context.settings
        infoTimer = context.loop.scheduleTimer(after: 0, repeating: settings.storeCheckMilliseconds) { [weak self] in self?.probeInfo() }
        needleTimer = context.loop.scheduleTimer(after: settings.needleCheckMilliseconds, repeating: settings.needleCheckMilliseconds) { [weak self] in
            self?.probeNeedles()
        }
    }

    /// Stops probing; answers in flight are dropped.
    func stop() {
        stopped = true
        infoTimer?.close()
        needleTimer?.close()
    }

    /// Takes a newer picture of the store (addresses, liveness, the status in coordination).
    func update(_ store: ClusterStore) {
        node = store.node
        if !publishingStatus { published = store.node.status }
        observeLive(store.isLive)
        publishStatusIfNeeded()
    }

    private func observeLive(_ isLive: Bool) {
        switch context.settings.liveCheck {
        case .ignored:
            return
        case .required:
            health.record(live: isLive)
        case .auto:
            sawLive = sawLive || isLive
            if sawLive { health.record(live: isLive) }
        }
    }

    private func probeInfo() {
        guard !infoInFlight, !stopped else { return }
        guard let stat = HostPort(node.stat) else { return didProbeInfo(.failed("bad stat address \(node.stat)"), since: .now) }
        infoInFlight = true
        let started = ContinuousClock.now
        context.client.execute(HTTPClientRequest(host: stat.host, port: stat.port, target: "/info")) { [self] result in
            infoInFlight = false
            guard !stopped else { return }
            switch result {
            case .success(let response) where response.status == .ok:
                do {
                    didProbeInfo(.answered(try StoreInfo.parse(response.body)), since: started)
                } catch {
                    didProbeInfo(.failed("\(error)"), since: started)
                }
            case .success(let response):
                didProbeInfo(.failed("/info answered \(response.status)"), since: started)
            case .failure(let error):
                didProbeInfo(.failed("\(error)"), since: started)
            }
        }
    }

    private func didProbeInfo(_ result: StoreHealth.InfoResult, since started: ContinuousClock.Instant) {
        var failed = false
        if case .failed(let why) = result {
            failed = true
            context.logger.debug("info probe failed", metadata: ["store": "\(node.id)", "why": "\(why)"])
        }
        context.metrics.record(.info, failed: failed, elapsed: started.duration(to: .now))
        health.record(info: result)
        publishStatusIfNeeded()
        guard let info = health.latestInfo, !failed else { return }
        for volume in info.volumes where !volume.hasError { pendingStates[volume.id] = volume.state }
        writeVolumeStates()
        if neverNeedleProbed { probeNeedles() }
    }

    private func probeNeedles() {
        guard needlesInFlight == 0, !stopped, let info = health.latestInfo, let admin = HostPort(node.admin) else { return }
        neverNeedleProbed = false
        for volume in info.volumes where !volume.hasError {
            needlesInFlight += 1
            let started = ContinuousClock.now
            let request = HTTPClientRequest(method: "HEAD", host: admin.host, port: admin.port, target: "/probe?vid=\(volume.id)")
            context.client.execute(request) { [self] result in
                needlesInFlight -= 1
                guard !stopped else { return }
                let failed = Self.needleFailed(result)
                context.metrics.record(.needle, failed: failed == true, elapsed: started.duration(to: .now))
                guard let failed else { return }
                if failed { context.logger.warning("needle probe failed", metadata: ["store": "\(node.id)", "vid": "\(volume.id)"]) }
                health.record(needleOf: volume.id, failed: failed)
                publishStatusIfNeeded()
            }
        }
    }

    /// true: the store failed to verify a needle (5xx other than 503 "busy"); false: it passed
    /// (200) or had nothing to check (404, as an empty or emptied volume answers); nil: no
    /// verdict (timeouts and refused connections are the `/info` probe's to judge, as in bfs).
    static func needleFailed(_ result: Result<HTTPClientResponse, HTTPClientError>) -> Bool? {
        guard case .success(let response) = result else { return nil }
        switch response.status.code {
        case 503: return nil
        case 500...599: return true
        case 200, 404: return false
        default: return nil
        }
    }

    private func publishStatusIfNeeded() {
        let status = health.status
        guard !publishingStatus, !stopped, status != published, status != .initial else { return }
        publishingStatus = true
        let (publisher, rack, id, loop) = (context.publisher, node.rack, node.id, context.loop)
        let previous = published
        Task {
            let outcome: Result<StatusPublisher.StatusWrite, CoordinationError>
            do throws(CoordinationError) { outcome = .success(try await publisher.publish(status: status, rack: rack, id: id)) } catch { outcome = .failure(error) }
            loop.execute { [weak self] in self?.didPublish(status, previous: previous, outcome) }
        }
    }

    private func didPublish(_ status: StoreNode.Status, previous: StoreNode.Status,
                            _ outcome: Result<StatusPublisher.StatusWrite, CoordinationError>) {
        publishingStatus = false
        switch outcome {
        case .success(.written):
            published = status
            context.metrics.recordChange(to: status)
            context.logger.notice("store status changed", metadata: [
                "store": "\(node.id)", "from": "\(previous.rawValue)", "to": "\(status.rawValue)"])
        case .success(.unchanged):
            published = status
        case .success(.missing):
            context.logger.warning("store node missing or not written yet; status not set", metadata: ["store": "\(node.id)"])
        case .failure(let error):
            context.metrics.recordCoordinationFailure()
            context.logger.warning("status write failed; retrying next round", metadata: ["store": "\(node.id)", "error": "\(error)"])
        }
        // A verdict that changed while the write ran is written now; failures wait for a round.
        if case .success = outcome, published == status { publishStatusIfNeeded() }
    }

    /// Writes the volume states that changed since the last write (one write task at a time).
    private func writeVolumeStates() {
        guard !writingStates, !stopped else { return }
        let changed = pendingStates.filter { writtenStates[$0.key] != $0.value }
        pendingStates = [:]
        guard !changed.isEmpty else { return }
        writingStates = true
        let (publisher, id, loop) = (context.publisher, node.id, context.loop)
        Task {
            let failure: CoordinationError?
            do throws(CoordinationError) {
                try await publisher.publish(states: changed, store: id)
                failure = nil
            } catch {
                failure = error
            }
            loop.execute { [weak self] in self?.didWriteStates(changed, failure: failure) }
        }
    }

    private func didWriteStates(_ states: [VolumeID: VolumeState], failure: CoordinationError?) {
        writingStates = false
        if let failure {
            context.metrics.recordCoordinationFailure()
            context.logger.warning("volume state write failed; retrying next round", metadata: ["store": "\(node.id)", "error": "\(failure)"])
            return
        }
        writtenStates.merge(states) { $1 }
        writeVolumeStates()
    }
}
