import BFSCoordination
import Prometheus

/// The pitchfork's Prometheus metrics (served as text on the stat listener's `/metrics`).
public final class PitchforkMetrics: Sendable {
    /// The two probes.
    public enum Probe: String, CaseIterable, Sendable {
        /// `GET /info` on the stat listener.
        case info
        /// `HEAD /probe?vid=` on the admin listener.
        case needle
    }

    /// The registry `/metrics` renders.
    public let registry = PrometheusCollectorRegistry()
    private let probes: [Probe: Counter]
    private let failures: [Probe: Counter]
    private let latency: [Probe: DurationHistogram]
    private let changes: [String: Counter]
    private let coordinationFailures: Counter
    private let owned: Gauge

    /// Makes every series up front, so probes only touch pre-built objects.
    public init() {
        let buckets: [Duration] = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10),
        ]
        var probes: [Probe: Counter] = [:], failures: [Probe: Counter] = [:], latency: [Probe: DurationHistogram] = [:]
        for probe in Probe.allCases {
            let labels = [("probe", probe.rawValue)]
            probes[probe] = registry.makeCounter(descriptor: Self.name("probes", "total", "Probes sent, by probe."), labels: labels)
            failures[probe] = registry.makeCounter(descriptor: Self.name("probe_failures", "total", "Probes that found a fault (unreachable, non-200 /info, needle 5xx), by probe."), labels: labels)
            latency[probe] = registry.makeDurationHistogram(descriptor: Self.name("probe_duration", "seconds", "Time from sending a probe to its answer or failure, by probe."), labels: labels, buckets: buckets)
        }
        var changes: [String: Counter] = [:]
        for status in ["fail", "read", "health", "other"] {
            changes[status] = registry.makeCounter(descriptor: Self.name("status_changes", "total", "Store status changes written to coordination, by new status."), labels: [("status", status)])
        }
        self.probes = probes
        self.failures = failures
        self.latency = latency
        self.changes = changes
        coordinationFailures = registry.makeCounter(descriptor: Self.name("coordination_write_failures", "total", "Status or volume-state writes that failed (retried on the next round)."))
        owned = registry.makeGauge(descriptor: Self.name("owned_stores", "count", "Stores this pitchfork probes now."))
    }

    /// Counts one finished probe.
    func record(_ probe: Probe, failed: Bool, elapsed: Duration) {
        probes[probe]?.increment()
        if failed { failures[probe]?.increment() }
        let (seconds, attoseconds) = elapsed.components
        latency[probe]?.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Counts one status written.
    func recordChange(to status: StoreNode.Status) {
        let name = status == .fail ? "fail" : status == .read ? "read" : status == .health ? "health" : "other"
        changes[name]?.increment()
    }

    /// Counts one failed coordination write.
    func recordCoordinationFailure() { coordinationFailures.increment() }

    /// Sets the number of owned stores.
    func setOwned(_ count: Int) { owned.set(Double(count)) }

    /// A `bfs_pitchfork_<metric>_<unit>` name with its help text.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "bfs", subsystem: "pitchfork", metricName: metric, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
